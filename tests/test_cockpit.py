"""The cockpit through the API: accounts, e-mails, tokens, functions and their grant rules, the training
offer, student imports (all or nothing, idempotent), groups, and what each caller may read in SPARQL."""

from __future__ import annotations

import io
import re

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, bearer_tokens, make_settings

BASE = "https://data.ontosides.fr/"
UNIV0, UNIV1 = f"{BASE}org/univ-0", f"{BASE}org/univ-1"
UFR0, UFR1 = f"{UNIV0}/ufr-0", f"{UNIV1}/ufr-0"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DFASM, DFGSM2 = f"{BASE}list/formations/dfasm", f"{BASE}list/annees-etude/dfgsm2"
DFGSM = f"{BASE}list/formations/dfgsm"


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory):
    """An app over a small demo with two universities; each role's demo person has a platform token."""
    outbox = tmp_path_factory.mktemp("outbox")
    settings = make_settings(user_tokens={}, outbox_dir=str(outbox))
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=4, questions_per_faculty=3,
                                      referentiel_items=4, objectives_per_item=2, questions_per_epreuve=2))
    app = create_app(settings, platform.store)
    client = TestClient(app)
    client.tokens = bearer_tokens(app, ("rs0-0", "rs1-0", "sco0-0", "t0-0-0", "t0-0-1", "s0-0-0", "s0-0-1", "ge0-0"))
    client.outbox = outbox
    client.platform = platform
    return client


def dump(platform) -> bytes:
    """The whole store as sorted N-Quads (to prove a refused write changed nothing)."""
    buffer = io.BytesIO()
    platform.store.dump(buffer, ox.RdfFormat.N_QUADS)
    return b"\n".join(sorted(buffer.getvalue().splitlines()))


def test_me_shows_accounts_emails_and_functions(cockpit):
    me = cockpit.get("/cockpit/me", headers=cockpit.tokens["t0-0-0"]).json()
    assert me["iri"] == f"{BASE}person/t0-0-0" and me["unique_id"].startswith("UN-")
    assert me["accounts"][0]["university"] == UNIV0 and me["accounts"][0]["eppn"].endswith("@univ-grenoble.example.fr")
    assert [f["function_name"] for f in me["functions"]] == ["Enseignant"]
    assert me["emails"][0]["verified"] and me["emails"][0]["primary"]
    assert cockpit.get("/cockpit/me").status_code == 401


def test_an_added_email_is_verified_with_the_mailed_code(cockpit):
    headers = cockpit.tokens["t0-0-1"]
    assert cockpit.post("/cockpit/me/emails", json={"address": "Old.Sides@Example.org"}, headers=headers).status_code == 202
    pending = cockpit.get("/cockpit/me", headers=headers).json()["emails"]
    assert {"address": "old.sides@example.org", "verified": False, "primary": False} in pending
    mail = max(cockpit.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime).read_text()
    assert "To: old.sides@example.org" in mail
    code = re.search(r"code de vérification OntoSIDES : (\d{8})", mail.replace("=C3=A9", "é")) or \
        re.search(r"(\d{8})", mail)
    wrong = cockpit.post("/cockpit/me/emails/verify", json={"address": "old.sides@example.org", "code": "00000000"},
                         headers=headers)
    assert wrong.status_code == 422 and "code" in wrong.json()["detail"]
    verified = cockpit.post("/cockpit/me/emails/verify", json={"address": "old.sides@example.org",
                                                               "code": code.group(1)}, headers=headers).json()
    assert {"address": "old.sides@example.org", "verified": True, "primary": False} in verified["emails"]
    primary = cockpit.put("/cockpit/me/emails/primary", json={"address": "old.sides@example.org"}, headers=headers)
    assert [e for e in primary.json()["emails"] if e["primary"]][0]["address"] == "old.sides@example.org"
    assert cockpit.delete("/cockpit/me/emails", params={"address": "old.sides@example.org"},
                          headers=headers).status_code == 422  # the primary one, while another remains


def test_tokens_are_shown_once_listed_without_secret_and_revocable(cockpit):
    headers = cockpit.tokens["s0-0-1"]
    issued = cockpit.post("/cockpit/me/tokens", json={"label": "my script", "days": 7}, headers=headers).json()
    mine = {"Authorization": f"Bearer {issued['token']}"}
    assert cockpit.get("/cockpit/me", headers=mine).json()["iri"] == f"{BASE}person/s0-0-1"
    listed = cockpit.get("/cockpit/me/tokens", headers=headers).json()
    assert any(t["label"] == "my script" for t in listed) and all("token" not in t for t in listed)
    stored = dump(cockpit.platform)
    assert issued["token"].encode() not in stored, "a token is never stored in clear"
    assert cockpit.delete(f"/cockpit/me/tokens/{issued['id']}", headers=headers).status_code == 204
    assert cockpit.get("/cockpit/me", headers=mine).status_code == 401


def test_the_school_office_grants_within_its_organisation_only(cockpit):
    rs = cockpit.tokens["rs0-0"]
    granted = cockpit.post("/cockpit/accounts/t0-0-1/functions", headers=rs,
                           json={"function": "GestionnaireEpreuves", "organisation": UFR0, "start": "2025-09-01"})
    assert granted.status_code == 201
    assignment = next(f for f in granted.json()["functions"] if f["function_name"] == "GestionnaireEpreuves")
    assert assignment["start"] == "2025-09-01" and assignment["active"]
    elsewhere = cockpit.post("/cockpit/accounts/t0-0-1/functions", headers=rs,
                             json={"function": "Enseignant", "organisation": UFR1})
    assert elsewhere.status_code == 403
    above_rights = cockpit.post("/cockpit/accounts/t0-0-1/functions", headers=rs,
                                json={"function": "Doyen", "organisation": UFR0})
    assert above_rights.status_code == 403 and "Président" not in above_rights.text
    teacher = cockpit.post("/cockpit/accounts/t0-0-1/functions", headers=cockpit.tokens["t0-0-0"],
                           json={"function": "Enseignant", "organisation": UFR0})
    assert teacher.status_code == 403
    reversed_dates = cockpit.post("/cockpit/accounts/t0-0-1/functions", headers=rs,
                                  json={"function": "Correcteur", "organisation": UFR0, "start": "2026-09-01",
                                        "end": "2026-01-01"})
    assert reversed_dates.status_code == 422
    removed = cockpit.delete(f"/cockpit/accounts/t0-0-1/functions/{assignment['id']}", headers=rs)
    assert removed.status_code == 200
    assert "GestionnaireEpreuves" not in {f["function_name"] for f in removed.json()["functions"]}
    log = cockpit.get("/cockpit/audit", headers=ADMIN).json()
    assert {"grant", "removal", "refusal"} <= {e["kind"] for e in log if e["action"] == "cockpit:grant"}


def test_people_search_is_scoped_to_the_managed_organisations(cockpit):
    found = cockpit.get("/cockpit/accounts", params={"function": "Etudiant"}, headers=cockpit.tokens["rs0-0"]).json()
    assert found["total"] == 4 and all(p["iri"].startswith(f"{BASE}person/s0-0-") for p in found["people"])
    assert cockpit.get("/cockpit/accounts", headers=cockpit.tokens["t0-0-0"]).status_code == 403
    other = cockpit.get(f"/cockpit/accounts/s1-0-0", headers=cockpit.tokens["rs0-0"])
    assert other.status_code == 404, "a person of another university is not the school office's to see"
    assert cockpit.get("/cockpit/accounts/s0-0-2", headers=cockpit.tokens["rs0-0"]).status_code == 200


def offer(cockpit, headers=None, component=UFR0) -> dict:
    response = cockpit.post("/cockpit/offers", headers=headers or cockpit.tokens["rs0-0"],
                            json={"component": component, "diploma": DFGSM, "study_year": DFGSM2,
                                  "period": "2025-2026"})
    assert response.status_code == 201, response.text
    return response.json()


def test_offers_take_their_labels_from_the_lists(cockpit):
    created = offer(cockpit)
    assert created["label"] == "DFGSM2 2025-2026" and created["cohort"].startswith(f"{BASE}group/")
    bad = cockpit.post("/cockpit/offers", headers=cockpit.tokens["rs0-0"],
                       json={"component": UFR0, "diploma": DFGSM, "study_year": DFGSM2, "period": "2025/26"})
    assert bad.status_code == 422 and "period" in bad.json()["detail"]
    not_listed = cockpit.post("/cockpit/offers", headers=cockpit.tokens["rs0-0"],
                              json={"component": UFR0, "diploma": f"{BASE}list/formations/nope",
                                    "study_year": DFGSM2, "period": "2025-2026"})
    assert not_listed.status_code == 422 and "diploma" in not_listed.json()["detail"]
    assert any(o["id"] == created["key"] for o in cockpit.get("/cockpit/offers", headers=cockpit.tokens["rs0-0"]).json())
    assert cockpit.get(f"/cockpit/offers/{created['key']}", headers=cockpit.tokens["rs1-0"]).status_code == 404


CLEAN = ("\ufeffNom;Prénom;Courriel;EPPN\r\n"
         "Dupré;Éloïse;eloise.dupre@etu.univ-grenoble.example.fr;edupre@univ-grenoble.example.fr\r\n"
         "N'Diaye;Aïssatou;aissatou.ndiaye@etu.univ-grenoble.example.fr;andiaye@univ-grenoble.example.fr\r\n")


def test_the_import_template_is_downloadable(cockpit):
    template = cockpit.get("/cockpit/students-template.csv")
    assert template.status_code == 200 and template.content.startswith("\ufeffNom;Prénom;Courriel;EPPN".encode())


def test_a_clean_import_then_the_same_file_again_changes_nothing(cockpit):
    target = offer(cockpit)
    rs = {**cockpit.tokens["rs0-0"], "Content-Type": "text/csv"}
    first = cockpit.post(f"/cockpit/offers/{target['key']}/students", content=CLEAN.encode(), headers=rs)
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 2 and first.json()["written"]
    people = cockpit.get("/cockpit/accounts", params={"q": "Dupré"}, headers=cockpit.tokens["rs0-0"]).json()
    assert people["people"][0]["given_name"] == "Éloïse"
    before = dump(cockpit.platform)
    again = cockpit.post(f"/cockpit/offers/{target['key']}/students", content=CLEAN.encode(), headers=rs).json()
    assert again["created"] == 0 and again["unchanged"] == 2 and not again["written"]
    assert dump(cockpit.platform) == before
    commas = CLEAN.replace(";", ",").encode("utf-8")[3:]  # no BOM, commas
    other = offer(cockpit)
    linked = cockpit.post(f"/cockpit/offers/{other['key']}/students", content=commas, headers=rs).json()
    assert linked["created"] == 0 and linked["linked"] == 2, "known EPPNs link to their accounts"


def test_a_file_with_errors_names_the_lines_and_writes_nothing(cockpit):
    target = offer(cockpit)
    rs = {**cockpit.tokens["rs0-0"], "Content-Type": "text/csv"}
    known = cockpit.get("/cockpit/accounts/s0-0-0", headers=cockpit.tokens["rs0-0"]).json()
    taken = known["accounts"][0]["eppn"]
    lines = ["Nom;Prénom;Courriel;EPPN",
             "Martin;Léo;leo.martin@etu.example.fr;lmartin@univ-grenoble.example.fr",
             "Sans;Eppn;sans.eppn@etu.example.fr;",
             "Mauvais;Courriel;pas-un-courriel;mauvais@univ-grenoble.example.fr",
             f"Autre;Personne;quelqu.un.dautre@etu.example.fr;{taken}",
             "Martin;Léo;leo.martin@etu.example.fr;lmartin@univ-grenoble.example.fr"]
    before = dump(cockpit.platform)
    refused = cockpit.post(f"/cockpit/offers/{target['key']}/students", content="\n".join(lines).encode(), headers=rs)
    assert refused.status_code == 422
    errors = {(e["line"], e["field"]) for e in refused.json()["errors"]}
    assert {(3, "EPPN"), (4, "Courriel"), (5, "EPPN"), (6, "EPPN")} <= errors
    assert "already held by another person" in str(refused.json()["errors"])
    assert dump(cockpit.platform) == before, "nothing is written when one line is bad"
    latin1 = "Nom;Prénom;Courriel;EPPN\nRené;Zoé;z@e.fr;z@univ-grenoble.example.fr\n".encode("latin-1")
    not_utf8 = cockpit.post(f"/cockpit/offers/{target['key']}/students", content=latin1, headers=rs)
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["errors"][0]["message"]


def test_the_same_eppn_at_two_universities_is_two_people(cockpit):
    grenoble, lyon = offer(cockpit), offer(cockpit, cockpit.tokens["rs1-0"], UFR1)
    row = "Nom;Prénom;Courriel;EPPN\nHomonyme;Jean;{mail};jhomonyme@shared-scope.example.fr\n"
    for target, token, mail in ((grenoble, "rs0-0", "jean@grenoble.example.fr"), (lyon, "rs1-0", "jean@lyon.example.fr")):
        result = cockpit.post(f"/cockpit/offers/{target['key']}/students", content=row.format(mail=mail).encode(),
                              headers={**cockpit.tokens[token], "Content-Type": "text/csv"})
        assert result.status_code == 200 and result.json()["created"] == 1
    a = cockpit.get("/cockpit/accounts", params={"q": "Homonyme"}, headers=cockpit.tokens["rs0-0"]).json()["people"]
    b = cockpit.get("/cockpit/accounts", params={"q": "Homonyme"}, headers=cockpit.tokens["rs1-0"]).json()["people"]
    assert len(a) == len(b) == 1 and a[0]["iri"] != b[0]["iri"]


def test_groups_have_members_administrators_and_institutions(cockpit):
    rs = cockpit.tokens["rs0-0"]
    created = cockpit.post("/cockpit/groups", headers=rs, json={
        "name": "Rattrapage DFASM1", "institutions": [UFR0], "members": [f"{BASE}person/s0-0-0"],
        "administrators": [f"{BASE}person/t0-0-0"]})
    assert created.status_code == 201
    key = created.json()["key"]
    teacher = cockpit.tokens["t0-0-0"]
    changed = cockpit.patch(f"/cockpit/groups/{key}", headers=teacher,
                            json={"add_members": [f"{BASE}person/s0-0-1"]})
    assert changed.status_code == 200 and len(changed.json()["members"]) == 2
    outsider = cockpit.patch(f"/cockpit/groups/{key}", headers=cockpit.tokens["t0-0-1"],
                             json={"add_members": [f"{BASE}person/s0-0-2"]})
    assert outsider.status_code == 403
    unknown = cockpit.patch(f"/cockpit/groups/{key}", headers=teacher, json={"add_members": [f"{BASE}person/nobody"]})
    assert unknown.status_code == 404
    member_view = cockpit.get(f"/cockpit/groups/{key}", headers=cockpit.tokens["s0-0-0"])
    assert member_view.status_code == 200
    mine = cockpit.get("/cockpit/me/groups", headers=cockpit.tokens["s0-0-0"]).json()
    assert any(g["name"] == "Rattrapage DFASM1" and g["role"] == "member" for g in mine)
    elsewhere = cockpit.post("/cockpit/groups", headers=rs, json={"name": "x", "institutions": [UFR1]})
    assert elsewhere.status_code == 403


PERSONAL = {
    "e-mails": "SELECT ?x WHERE { ?p <https://w3id.org/ontosides#email> ?x }",
    "EPPNs": "SELECT ?x WHERE { ?a <https://w3id.org/ontosides#eppn> ?x }",
    "answers": "SELECT ?x WHERE { ?x a <https://w3id.org/ontosides#Answer> }",
    "grades": "SELECT ?x WHERE { ?x <https://w3id.org/ontosides#score> ?s }",
    "tokens": "SELECT ?x WHERE { ?x <https://w3id.org/ontosides#tokenHash> ?h }",
    "names in any graph": "SELECT ?x WHERE { GRAPH ?g { ?p <http://xmlns.com/foaf/0.1/familyName> ?x } }",
}


@pytest.mark.parametrize("what", PERSONAL)
def test_anonymous_sparql_reads_no_personal_data(cockpit, what):
    rows = cockpit.get("/sparql", params={"query": PERSONAL[what]}).json()["results"]["bindings"]
    assert rows == []
    named = cockpit.get("/sparql", params={"query": PERSONAL[what], "default-graph-uri": f"{BASE}graph/person/s0-0-0"})
    assert named.json()["results"]["bindings"] == []
    sneaky = PERSONAL[what].replace("WHERE", f"FROM <{BASE}graph/person/s0-0-0> WHERE", 1)
    assert cockpit.get("/sparql", params={"query": sneaky}).json()["results"]["bindings"] == []


def test_a_student_reads_their_own_account_and_nobody_elses(cockpit):
    student = cockpit.tokens["s0-0-0"]
    mine = cockpit.get("/sparql", params={"query": PERSONAL["e-mails"]}, headers=student).json()["results"]["bindings"]
    assert len(mine) == 1 and ".s0-0-0@" in mine[0]["x"]["value"]
    other = f"ASK {{ GRAPH <{BASE}graph/person/s0-0-1> {{ ?s ?p ?o }} }}"
    assert cockpit.get("/sparql", params={"query": other}, headers=student).json()["boolean"] is False
    assert cockpit.get("/graphs", params={"graph": f"{BASE}graph/person/s0-0-1"}, headers=student).status_code == 404
    office = cockpit.get("/sparql", params={"query": PERSONAL["e-mails"]}, headers=cockpit.tokens["rs0-0"]).json()
    addresses = [b["x"]["value"] for b in office["results"]["bindings"]]
    assert any(".s0-0-1@" in a for a in addresses) and not any(".s1-0-0@" in a for a in addresses)
