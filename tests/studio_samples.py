"""A valid item of every kind and question type, in the API's JSON form, and broken variants of each."""

from __future__ import annotations

import copy

BASE = "https://data.ontosides.fr/"
SCALE = f"{BASE}list/echelle-tcs"
SCALE_VALUES = [f"{SCALE}/{v}" for v in ("2-fortement-infirmee", "1-infirmee", "0-ni-infirmee-ni-confirmee",
                                         "1-confirmee", "2-fortement-confirmee")]
RATING = f"{BASE}list/grille-globale-ecos"
UFR = f"{BASE}org/univ-0/ufr-0"
TOKENS = {"author": f"{BASE}person/t0-0-0", "colleague": f"{BASE}person/t0-0-1",
          "manager": f"{BASE}person/t0-0-2", "other-manager": f"{BASE}person/t1-0-0"}


def as_user(name: str) -> dict:
    """The header of a test user's bearer token."""
    return {"Authorization": f"Bearer {name}"}


AUTHOR = as_user("author")


def options(right: set[int], n: int = 5) -> list[dict]:
    return [{"text": f"Proposition {chr(65 + i)}", "correct": i in right} for i in range(n)]


def questions(image: str) -> dict[str, dict]:
    """One valid question of each type."""
    return {
        "QRU": {"type": "QRU", "statement": "Quel germe cause le plus souvent l'angine bactérienne ?",
                "options": options({0}), "teaching_comment": "Le streptocoque du groupe A.", "hint": "Pensez au TDR."},
        "QRM": {"type": "QRM", "statement": "Quels signes évoquent une méningite ?",
                "options": [*options({0, 2}, 4)[:3], {"text": "Purpura", "correct": True, "criticality": "indispensable"}]},
        "QRP": {"type": "QRP", "statement": "Citez les deux examens de première intention.", "expected_count": 2,
                "options": options({1, 3})},
        "QRM_LONG": {"type": "QRM_LONG", "statement": "Parmi ces médicaments, lesquels sont néphrotoxiques ?",
                     "options": [*options({0, 4}, 12)[:11], {"text": "Paracétamol", "correct": False,
                                                             "criticality": "unacceptable"}]},
        "QRP_LONG": {"type": "QRP_LONG", "statement": "Choisissez les trois antibiotiques adaptés.",
                     "expected_count": 3, "options": options({1, 5, 9}, 15)},
        "QROC": {"type": "QROC", "statement": "Nom du germe de la listériose ?",
                 "accepted_answers": ["Listeria monocytogenes", "Listeria"]},
        "QROL": {"type": "QROL", "statement": "Expliquez la physiopathologie de l'insuffisance cardiaque.",
                 "model_answer": "Baisse du débit, activation neuro-hormonale …", "max_points": 10},
        "ZONE": {"type": "ZONE", "statement": "Cliquez sur le foyer pulmonaire.", "image": image,
                 "areas": [{"shape": "rect", "coords": "10,20,110,90"}]},
        "NUMERIQUE": {"type": "NUMERIQUE", "statement": "Kaliémie normale maximale ?", "value": 5.0,
                      "tolerance": 0.1, "unit": "mmol/L"},
        "ASSOCIATION": {"type": "ASSOCIATION", "statement": "Associez chaque germe à son traitement.",
                        "pairs": [{"left": "Streptocoque A", "right": "Amoxicilline"},
                                  {"left": "Mycoplasme", "right": "Macrolide"}]},
        "TCS": {"type": "TCS", "statement": "Quel est l'effet de cette information ?",
                "hypothesis": "une embolie pulmonaire", "new_information": "les D-dimères sont négatifs",
                "scale": SCALE, "expert_answers": [{"value": SCALE_VALUES[0], "count": 7},
                                                   {"value": SCALE_VALUES[1], "count": 3}]},
    }


def items(image: str, article: str, creator_faculty: str | None = None) -> dict[str, dict]:
    """One valid item of every kind (QI once per question type)."""
    qs = questions(image)
    found = {f"QI-{name}": {"kind": "QI", "title": f"Question {name}", "question": q, "owner": creator_faculty}
             for name, q in qs.items()}
    found.update({
        "SQI": {"kind": "SQI", "title": "Séquence infectiologie", "questions": [qs["QRU"], qs["QROC"]]},
        "DP": {"kind": "DP", "title": "Dossier douleur thoracique", "vignette": "Homme de 58 ans, douleur thoracique.",
               "questions": [qs["QRM"], {**qs["QRU"], "new_information": "L'ECG montre un sus-décalage."}]},
        "MDCP": {"kind": "MDCP", "title": "Mini dossier fièvre", "vignette": "Femme de 30 ans fébrile.",
                 "questions": [qs["QRU"], qs["QRP"]]},
        "DL": {"kind": "DL", "title": "Dossier libre pédiatrie", "statement": "Un nourrisson de 3 mois …",
               "questions": [qs["QRU"]]},
        "LCA": {"kind": "LCA", "title": "LCA essai randomisé", "article": article, "questions": [qs["QROL"]]},
        "KFP": {"kind": "KFP", "title": "KFP dyspnée", "vignette": "Dyspnée aiguë aux urgences.",
                "questions": [qs["QRM_LONG"], qs["QROC"]]},
        "ECOS": {"kind": "ECOS", "title": "Station annonce diagnostique", "station": {
            "scenario": "Annonce d'un diabète de type 1.", "candidate_instructions": "Annoncez le diagnostic.",
            "patient_instructions": "Vous êtes inquiet.", "duration_minutes": 7, "rating_scale": RATING,
            "checklist": [{"text": "Se présente", "points": 1}, {"text": "Vérifie la compréhension", "points": 2}]}},
    })
    for item in found.values():
        item.setdefault("owner", creator_faculty)
    return found


def broken(image: str, article: str) -> dict[str, tuple[dict, str]]:
    """For each rule, an item that breaks it and the shape expected to say so."""
    good = items(image, article)
    cases = {}

    def variant(name, key, change, shape):
        item = copy.deepcopy(good[key])
        change(item)
        cases[name] = (item, shape)

    variant("QRU-two-right", "QI-QRU", lambda i: i["question"]["options"][1].update(correct=True), "osh:QRUShape")
    variant("QRU-three-options", "QI-QRU", lambda i: i["question"].update(options=options({0}, 3)), "osh:QRUShape")
    variant("QRM-none-right", "QI-QRM", lambda i: [o.update(correct=False, criticality=None)
                                                  for o in i["question"]["options"]], "osh:QRMShape")
    variant("QRP-count-mismatch", "QI-QRP", lambda i: i["question"].update(expected_count=3), "osh:QRPShape")
    variant("QRM_LONG-too-few", "QI-QRM_LONG", lambda i: i["question"].update(options=options({0}, 6)),
            "osh:LongListQRMShape")
    variant("QRP_LONG-six-expected", "QI-QRP_LONG", lambda i: i["question"].update(
        expected_count=6, options=options({0, 1, 2, 3, 4, 5}, 15)), "osh:LongListQRPShape")
    variant("QROC-no-answer", "QI-QROC", lambda i: i["question"].update(accepted_answers=[]), "osh:QROCShape")
    variant("QROL-no-model", "QI-QROL", lambda i: i["question"].update(model_answer=None), "osh:QROLShape")
    variant("ZONE-no-area", "QI-ZONE", lambda i: i["question"].update(areas=[]), "osh:ZoneShape")
    variant("ZONE-bad-coords", "QI-ZONE", lambda i: i["question"].update(areas=[{"shape": "rect", "coords": "ici"}]),
            "osh:ImageAreaShape")
    variant("NUMERIQUE-negative-tolerance", "QI-NUMERIQUE", lambda i: i["question"].update(tolerance=-1),
            "osh:NumericShape")
    variant("ASSOCIATION-one-pair", "QI-ASSOCIATION", lambda i: i["question"].update(pairs=i["question"]["pairs"][:1]),
            "osh:AssociationShape")
    variant("TCS-no-panel", "QI-TCS", lambda i: i["question"].update(expert_answers=[]), "osh:TCSShape")
    variant("indispensable-but-wrong", "QI-QRU",
            lambda i: i["question"]["options"][1].update(criticality="indispensable"), "osh:CriticalityRuleShape")
    variant("LCA-no-article", "LCA", lambda i: i.update(article=None), "osh:LCAShape")
    variant("DP-one-step", "DP", lambda i: i.update(questions=i["questions"][:1]), "osh:DPShape")
    variant("MDCP-six-steps", "MDCP", lambda i: i.update(questions=i["questions"] * 3), "osh:MDCPShape")
    variant("DL-no-statement", "DL", lambda i: i.update(statement=None), "osh:DLShape")
    variant("SQI-one-question", "SQI", lambda i: i.update(questions=i["questions"][:1]), "osh:SQIShape")
    variant("KFP-no-vignette", "KFP", lambda i: i.update(vignette=None), "osh:KFPShape")
    variant("ECOS-no-duration", "ECOS", lambda i: i["station"].update(duration_minutes=0), "osh:EcosStationShape")
    variant("ECOS-negative-points", "ECOS", lambda i: i["station"]["checklist"][0].update(points=-1),
            "osh:ChecklistItemShape")
    return cases


def same_content(sent: dict, got: dict) -> None:
    for key, value in sent.items():
        if key == "owner" and value is None:
            continue
        if isinstance(value, dict):
            same_content(value, got[key])
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            assert len(got[key]) == len(value), key
            for a, b in zip(value, got[key]):
                same_content(a, b)
        elif isinstance(value, list):
            assert sorted(got[key]) == sorted(value), key
        else:
            assert got[key] == value, f"{key}: sent {value!r}, read back {got[key]!r}"


