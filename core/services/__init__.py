"""Use cases: one function per user action. Each takes the acting user first, checks the
role on its first line, opens the unit of work, asks the policy, and commits or raises."""
