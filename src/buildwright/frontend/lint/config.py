"""Which checks run, and whether findings fail the build.

The configuration comes from the `# check=` directive, or from the build argument
`BUILDKIT_DOCKERFILE_CHECK` which replaces it entirely. Both use the same grammar:
`skip=<Rule,...|all>;error=<bool>;experimental=<Rule,...|all>`, at most three parts.
"""

from __future__ import annotations

from buildwright._golang import parse_bool, quote
from buildwright._values import valueclass
from buildwright.frontend.lint.rules import Rule

CHECK_BUILD_ARG = "BUILDKIT_DOCKERFILE_CHECK"


class CheckConfigError(ValueError):
    """A check configuration that does not parse; the message is the reference's."""


@valueclass
class CheckConfig:
    """A parsed check configuration; the default runs every non-experimental rule."""

    skip_all: bool = False
    skip: frozenset[str] = frozenset()
    experimental_all: bool = False
    experimental: frozenset[str] = frozenset()
    error: bool = False

    def enabled(self, rule: Rule) -> bool:
        """Whether findings of `rule` are reported (skipping never applies to experimental rules)."""
        if rule.experimental:
            return self.experimental_all or rule.name in self.experimental
        return not (self.skip_all or rule.name in self.skip)


def parse_check_config(text: str) -> CheckConfig:
    """Parse a `check` value; raises CheckConfigError with the reference's wording."""
    text = text.strip()
    if not text:
        return CheckConfig()
    skip_all = experimental_all = error = False
    skip: frozenset[str] = frozenset()
    experimental: frozenset[str] = frozenset()
    # Like Go's strings.SplitN(s, ";", 3): a third part keeps any further semicolons.
    for part in text.split(";", 2):
        key, sep, value = part.partition("=")
        if not sep:
            raise CheckConfigError(f"invalid check option {quote(part)}")
        key = key.strip()
        value = value.strip()
        if key == "skip":
            if value == "all":
                skip_all = True
            else:
                skip = frozenset(name.strip() for name in value.split(","))
        elif key == "experimental":
            if value == "all":
                experimental_all = True
            else:
                experimental = frozenset(name.strip() for name in value.split(","))
        elif key == "error":
            flag = parse_bool(value)
            if flag is None:
                raise CheckConfigError(
                    f"failed to parse check option {quote(part)}: strconv.ParseBool: parsing {quote(value)}: "
                    "invalid syntax"
                )
            error = flag
        else:
            raise CheckConfigError(f"invalid check option {quote(key)}")
    return CheckConfig(skip_all, skip, experimental_all, experimental, error)
