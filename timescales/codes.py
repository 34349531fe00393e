"""DfE Children in Need census code lists used to validate incoming records.

Pure domain: imports nothing from the project, nor prefect, sqlmodel, sqlalchemy or jinja2.
Source: DfE CIN census 2024-25 specification as implemented by csc-validator-be-cin (DOMAIN.md).
"""

from __future__ import annotations

REFERRAL_SOURCES = frozenset(
    [
        "1A",
        "1B",
        "1C",
        "1D",
        "2A",
        "2B",
        "3A",
        "3B",
        "3C",
        "3D",
        "3E",
        "3F",
        "4",
        "5A",
        "5B",
        "5C",
        "5D",
        "6",
        "7",
        "8",
        "9",
        "10",
    ]
)
PRIMARY_NEED = frozenset(f"N{i}" for i in range(0, 10))
REASON_FOR_CLOSURE = frozenset(f"RC{i}" for i in range(1, 10))
CATEGORY_OF_ABUSE = frozenset(["NEG", "PHY", "SAB", "EMO", "MUL"])
DISABILITY = frozenset(
    ["NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"]
)
ETHNICITY_ORDER: tuple[str, ...] = (
    "WBRI",
    "WIRI",
    "WIRT",
    "WOTH",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)
"""DfE ethnicity codes in the order of the Ofsted Annex A template's labels."""
ETHNICITY = frozenset(ETHNICITY_ORDER)
SEX = frozenset(["M", "F", "U"])
UPN_UNKNOWN = frozenset(f"UN{i}" for i in range(1, 8))


def _assessment_factors() -> frozenset[str]:
    codes = [f"{n}{s}" for n in range(1, 7) for s in "ABC"]  # 1A-6C
    codes += ["7A", "8B", "8C", "8D", "8E", "8F"]
    codes += [f"{n}A" for n in range(9, 18)]  # 9A-17A
    codes += ["18B", "18C", "19B", "19C", "20", "21", "22A", "23A", "24A"]
    return frozenset(codes)


ASSESSMENT_FACTORS = _assessment_factors()
NO_FACTORS = "21"  # "no factors identified": must stand alone
