"""config/regions.yaml is read strictly: codes, neighbours and offices are checked."""

from __future__ import annotations

import pytest
import yaml

from hotline.config_files import ConfigFileError
from hotline.settings import REPO_ROOT
from routing.regions import PROVINCE, load_regions


def regions_with(tmp_path, change) -> list[str]:
    """The problems of the shipped regions.yaml after `change` edited its first region."""
    data = yaml.safe_load((REPO_ROOT / "config" / "regions.yaml").read_text(encoding="utf-8"))
    change(data["regions"][0])
    (tmp_path / "regions.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_regions(tmp_path)
    prefix = f"{tmp_path / 'regions.yaml'}: "
    assert all(line.startswith(prefix) for line in str(caught.value).splitlines())
    return [line.removeprefix(prefix) for line in str(caught.value).splitlines()]


def test_the_shipped_regions_are_valid():
    regions = load_regions(REPO_ROOT / "config")
    assert regions.get("harbin").area_code == "0451"
    assert regions.province_legal_aid_centre.name == "黑龙江省法律援助中心"


def test_an_office_needs_a_phone(tmp_path):
    problems = regions_with(tmp_path, lambda region: region["legal_aid_centre"].pop("phone"))
    assert problems == ["'regions.0.legal_aid_centre.phone' is missing"]


def test_unknown_neighbours_are_refused(tmp_path):
    problems = regions_with(tmp_path, lambda region: region["neighbours"].append("beijing"))
    assert problems == ["'regions' has 'harbin' naming unknown neighbours ['beijing']"]


def test_no_region_may_be_called_like_the_province_pool(tmp_path):
    problems = regions_with(tmp_path, lambda region: region.update(code=PROVINCE))
    assert problems[0] == "'regions.0.code' must not be 'province' (the province pool)"
