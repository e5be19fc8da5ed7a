"""The Dockerfile corpus: one folder per case under `cases/`, each built by buildx and by buildwright on
the test engine and compared (see README.md next to this file for the case format)."""
