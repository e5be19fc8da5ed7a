"""The project's fuzzer: mutated corpus inputs against the parser, expander, matcher, compiler and options.

`python -m tests.fuzz` runs it (`make fuzz` for the long run); `test_fuzz.py` is the bounded run
of `make test`. A finding is an exception outside `buildwright.errors`, an input running over the
hang limit, or one needing more than the memory limit; each is saved as a reproducer file.
"""
