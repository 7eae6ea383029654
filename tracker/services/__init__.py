"""Services: keyword-only functions that take a Session; the caller owns the transaction."""
