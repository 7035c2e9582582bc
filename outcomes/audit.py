"""The audit trail of staff reads and writes of a child's record."""


def record(db, user_id, action, child_id=None, detail=""):
    """Append one entry; callers do it in the same transaction as any write they audit."""
    db["audit_log"].insert(
        {"user_id": user_id, "action": action, "child_id": child_id, "detail": detail}
    )
