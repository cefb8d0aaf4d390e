import random, collections
from tests.test_web_fuzz import *  # noqa
from tests.test_web_fuzz import world  # noqa

def test_dbg(world):
    url, app_client, targets = world
    kinds = collections.Counter()
    for attempt in Bodies(random.Random(SEED), targets).attempts(1000):
        app_client.cookies.clear()
        headers = {**attempt.headers, **({"content-type": attempt.content_type} if attempt.content_type else {})}
        if attempt.cookies:
            headers["cookie"] = "; ".join(f"{n}={v}" for n, v in attempt.cookies.items())
        r = app_client.post(attempt.path, content=attempt.body, headers=headers)
        kinds[(attempt.path.split("/")[1][:6], r.status_code)] += 1
    for k, v in sorted(kinds.items()): print(v, k)
