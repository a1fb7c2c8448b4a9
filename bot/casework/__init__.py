"""The desk workflow around a claim, from vote to published fact-check.

Who is on a claim (assignment), the evidence posted in its thread (sources), the explanation of its
rating and the URL where the newsroom published it (explanations), and reminders for claims nobody
has touched (stale). Every change is an append-only ClaimEvent (the audit trail) and bumps the
claim's render version, so the claim message is rewritten by the same job that shows verdicts.
"""
