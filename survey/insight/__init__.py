"""Figures: the metrics rollup, metric definitions, dashboard, service changes and their impact, reports."""
