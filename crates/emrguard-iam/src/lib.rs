//! AWS IAM policy engine: parsing, evaluation, trust, action catalog, privilege classes. Pure, no IO.
