"""The source kinds: one YAML spec per export kind (`<kind>.yml`) and `spec.py`, which reads and
checks them. Ingest parses files by them, quality builds the file suites from them and the
nightly scope asks which kinds replace rows per förbund: code all of them import, so it is in
neither."""
