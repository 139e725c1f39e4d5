"""benchmarks.yaml agrees with the models and its loader refuses what it must."""

from __future__ import annotations

from needlechart.charting.models import AdverseEventCode, Severity
from needlechart.knowledge import load
from needlechart.knowledge.benchmarks import parse_benchmarks


def test_adverse_event_codes_and_severities_are_the_models():
    b = load().benchmarks
    assert set(b.adverse_event_codes) == set(AdverseEventCode.values)
    assert set(b.severities) == set(Severity.values)


def test_every_figure_names_its_source_and_its_interval_or_why_not():
    b = load().benchmarks
    for effect in b.effects.values():
        assert effect.sources and (effect.ci is not None or effect.ci_note), effect.id
    for study in b.adverse_event_studies.values():
        assert study.sources
        for rate in study.rates:
            assert rate.ci is not None or rate.ci_note, (study.id, rate.type)
    assert b.adverse_event_studies["brady_2014"].exposure == 7629
    assert b.adverse_event_studies["boyce_2020"].rate("major").events == 20


def test_the_loader_refuses_an_invented_or_missing_interval():
    raw = {
        "adverse_event_codes": ["bruising"],
        "severities": ["mild"],
        "adverse_event_types": [{"id": "bruising", "name": "Bruising", "codes": ["bruising", "rash"]}],
        "adverse_event_studies": [],
        "effects": [
            {
                "id": "x",
                "study": "X 2020",
                "modality": "dry_needling",
                "conditions": [],
                "comparison": "sham",
                "timepoint": "now",
                "weeks": [5],
                "measure": "smd",
                "outcome": "pain",
                "value": -1,
                "sign": "negative",
                "ci": None,
                "sources": ["x"],
            },
        ],
    }
    problems: list[str] = []
    parse_benchmarks(raw, problems)
    text = "\n".join(problems)
    assert "'rash' is not one of adverse_event_codes" in text
    assert "a null ci needs its note" in text
    assert "5 is not a dashboard column" in text


def test_the_knowledge_base_load_checks_the_benchmarks_references(tmp_path):
    """Wired into load(): an unknown condition, instrument or source in benchmarks.yaml stops the load,
    each named with file, entry and field."""
    import shutil

    import pytest
    import yaml

    from needlechart.knowledge.errors import KnowledgeError
    from needlechart.knowledge.loader import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "benchmarks.yaml"
    raw = yaml.safe_load(path.read_text())
    effect = raw["effects"][0]
    effect["conditions"] = ["neck_pian"]
    effect["instrument"] = "nprs2"
    raw["adverse_event_studies"][0]["sources"] = ["brady_2041"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    load.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as caught:
            load(data)
    finally:
        load.cache_clear()
    text = "\n".join(caught.value.problems)
    assert f"benchmarks.yaml: entry '{effect['id']}': field 'conditions': unknown condition 'neck_pian'" in text
    assert "field 'instrument': unknown instrument 'nprs2'" in text
    assert "entry 'brady_2014': field 'sources': unknown source 'brady_2041'" in text
