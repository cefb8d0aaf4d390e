from tests.apptest_support import DEMO_LOGINS, signed_in


def test_probe(demo_url):
    at = signed_in("executive", DEMO_LOGINS["executive"], "pages/executive.py")
    def walk(node, depth=0):
        for child in getattr(node, "children", {}).values():
            t = getattr(child, "type", type(child).__name__)
            if "chart" in str(t).lower() or "vega" in str(t).lower():
                print("TYPE", t, type(child).__name__, str(getattr(child, "proto", ""))[:200].replace("\n", " "))
            walk(child, depth + 1)
    walk(at._tree)
    assert 0
