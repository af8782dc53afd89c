"""Evidence packs: building, hashing, signing, verifying, and the ledger of packs."""
