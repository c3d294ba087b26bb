"""The compliance report: the audit's tables (004 表1–表18) and every finding, computed from the records."""
