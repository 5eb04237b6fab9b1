"""One module per document kind; each builds a LabelledDoc from a Context and its patient(s)."""
