"""The data dictionary lists every column with its entity, collection, type, unit and labels."""

from __future__ import annotations


def test_dictionary_rows(actg_product):
    rows = actg_product.dictionary()
    arms = next(r for r in rows if r["column"] == "arms")
    assert arms == {
        "entity": "patients", "collection": "Treatment", "column": "arms", "title": "Treatment arm",
        "type": "category", "unit": "", "labels": "0=ZDV; 1=ZDV+ddI; 2=ZDV+Zal; 3=ddI",
        "description": arms["description"], "references": "",
    }
    assert "zidovudine" in arms["description"]
    derived = next(r for r in rows if r["column"] == "cd4_change_20")
    assert derived["unit"] == "cells/mm3" and derived["collection"] == "Follow-up labs"
    labs_pidnum = next(r for r in rows if r["entity"] == "labs" and r["column"] == "pidnum")
    assert labs_pidnum["references"] == "patients.pidnum"
    assert len(rows) == sum(len(e.columns) for e in actg_product.manifest.model.entities.values())
