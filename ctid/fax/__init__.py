"""Fax: documents, reception (IVR, fax numbers), sending with retries and batches."""
