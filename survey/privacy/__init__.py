"""Personal data: masking, erasure, and the audited response export."""
