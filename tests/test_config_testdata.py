"""Good and bad config files as test data (tests/testdata/config), as blackbox_exporter
keeps them: every good file loads, every bad one is refused with exactly its problems."""

from pathlib import Path

import pytest

from saas_exporter.config import ConfigError, load_config

TESTDATA = Path(__file__).parent / "testdata" / "config"
ENV = {
    "KLAVIYO_KEY": "pk_0123456789abcdef0123456789abcdef",
    "CLAY_KEY": "clay-0123456789",
    "ACME_KEY": "acme-0123456789",
    "PUBLIC_KEY": "AbC123",
}


@pytest.mark.parametrize("path", sorted((TESTDATA / "good").glob("*.yml")), ids=lambda p: p.name)
def test_good_configs_load(path):
    config = load_config(path, ENV)
    assert config.vendors


def expected_problems(path: Path) -> list[str]:
    prefix = "# expect: "
    return [
        line[len(prefix) :] for line in path.read_text().splitlines() if line.startswith(prefix)
    ]


@pytest.mark.parametrize("path", sorted((TESTDATA / "bad").glob("*.yml")), ids=lambda p: p.name)
def test_bad_configs_are_refused_with_each_mistake(path):
    expected = expected_problems(path)
    assert expected, f"{path.name} lists no '# expect:' line"
    with pytest.raises(ConfigError) as err:
        load_config(path, ENV)
    assert err.value.problems == expected
