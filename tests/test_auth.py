"""Authentication (API keys, bearer tokens checked against a local signing key) and the authorisation of
terminology writes, enforced below the HTTP layer; local accounts with argon2 hashes; the CLI."""

from __future__ import annotations

import time
import warnings

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import terminology as t
from api import Settings, create_app
from scripts.cli import main

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CS = {"resourceType": "CodeSystem", "url": "http://example.org/cs/x", "status": "active", "content": "complete",
      "concept": [{"code": "a", "display": "A"}]}


@pytest.fixture(scope="module")
def signing_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, public


def _token(key, **claims) -> str:
    body = {"sub": "anna", "iss": "https://idp.example.se", "aud": "vardterm", "exp": int(time.time()) + 60,
            "roles": ["informatiker"], "region": "01"} | claims
    return jwt.encode(body, key, algorithm="RS256")


@pytest.fixture
def app_for(new_db, signing_key):
    made = []

    def make(backend: str = "sqlite", **settings) -> tuple[TestClient, t.Database]:
        db = new_db(backend)
        s = Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0,
                     auth_jwt_issuer="https://idp.example.se", auth_jwt_audience="vardterm",
                     auth_jwt_public_key=signing_key[1], **settings)
        client = TestClient(create_app(s))
        made.append(client)
        return client, db

    yield make
    for c in made:
        c.close()


def test_writes_need_an_editor_role(app_for, signing_key, backend):
    client, db = app_for(backend)
    anonymous = client.post("/fhir/r5/CodeSystem", json=CS)
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    reader = _token(signing_key[0], roles=["vardlots"])
    refused = client.post("/fhir/r5/CodeSystem", json=CS, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403 and refused.json()["issue"][0]["code"] == "forbidden"
    editor = {"Authorization": f"Bearer {_token(signing_key[0])}"}
    created = client.post("/fhir/r5/CodeSystem", json=CS, headers=editor)
    assert created.status_code == 201
    rid = created.json()["id"]
    assert client.delete(f"/fhir/r5/CodeSystem/{rid}").status_code == 401
    assert client.put(f"/fhir/r5/CodeSystem/{rid}", json=CS | {"id": rid},
                      headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    assert client.delete(f"/fhir/r5/CodeSystem/{rid}", headers=editor).status_code == 204


def test_repository_refuses_below_the_api(new_db):
    repo = t.ResourceRepository(new_db("sqlite"))
    with pytest.raises(t.Forbidden):
        repo.create(CS, by=t.Principal("vl", frozenset({"vardlots"}), "01"))
    with pytest.raises(t.Unauthenticated):
        repo.load([CS], by=t.ANONYMOUS)
    assert repo.create(CS, by=t.COMMAND_LINE).version_id == 1


def test_bad_tokens_are_refused_not_downgraded(app_for, signing_key):
    client, _ = app_for()
    for token in (_token(signing_key[0], exp=int(time.time()) - 10), _token(signing_key[0], aud="other"),
                  _token(rsa.generate_private_key(public_exponent=65537, key_size=2048)), "not-a-token"):
        r = client.get("/fhir/r5/CodeSystem", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
    assert client.get("/fhir/r5/CodeSystem", headers={"Authorization": "Basic eDp5"}).status_code == 401


def test_api_keys(app_for):
    client, db = app_for()
    accounts = t.Accounts(db)
    key = accounts.add_key("journal-system", ("informatiker",), None)
    assert client.post("/fhir/r5/CodeSystem", json=CS, headers={"Authorization": f"ApiKey {key}"}).status_code == 201
    assert client.post("/fhir/r5/CodeSystem", json=CS, headers={"X-API-Key": key + "x"}).status_code == 401
    accounts.revoke_key(key.split(".")[0])
    assert client.post("/fhir/r5/CodeSystem", json=CS, headers={"X-API-Key": key}).status_code == 401


def test_reads_can_be_closed(app_for, signing_key):
    client, _ = app_for(open_terminology_reads=False)
    assert client.get("/fhir/r5/CodeSystem").status_code == 401
    assert client.get("/fhir/r5/metadata").status_code == 200
    ok = client.get("/fhir/r5/CodeSystem", headers={"Authorization": f"Bearer {_token(signing_key[0], roles=[])}"})
    assert ok.status_code == 200
    open_client, _ = app_for()
    assert open_client.get("/fhir/r5/CodeSystem").status_code == 200


def test_local_accounts(new_db):
    accounts = t.Accounts(new_db("sqlite"))
    accounts.add_user("anna", "correct horse battery", ("avtalsadmin",), "01")
    who = accounts.login("anna", "correct horse battery")
    assert who.roles == {"avtalsadmin"} and who.region == "01" and who.channel == "web"
    assert accounts.store.user("anna").secret_hash.startswith("$argon2id$")
    for name, password in (("anna", "wrong password!"), ("nobody", "correct horse battery")):
        with pytest.raises(t.Unauthenticated, match="Fel användarnamn eller lösenord"):
            accounts.login(name, password)
    with pytest.raises(t.InvalidRequest):
        accounts.add_user("anna", "another long one", ("admin",), None)
    with pytest.raises(t.InvalidRequest, match="at least"):
        accounts.add_user("bo", "short", ("admin",), None)
    with pytest.raises(t.InvalidRequest, match="roles"):
        accounts.add_user("bo", "long enough pass", ("chef",), None)
    accounts.set_active("anna", False)
    with pytest.raises(t.Unauthenticated):
        accounts.login("anna", "correct horse battery")


def test_region_rule():
    t.require_region(t.Principal("a", frozenset({"avtalsadmin"}), "01"), "01", action="edit")
    with pytest.raises(t.Forbidden, match="region 12"):
        t.require_region(t.Principal("a", frozenset({"avtalsadmin"}), "01"), "12", action="edit")
    t.require_region(t.Principal("root", frozenset({"admin"}), None), "12", action="edit")


def test_cli_users_and_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'v.db'}"
    run = CliRunner().invoke
    added = run(main, ["--database-url", url, "user", "add", "anna", "--role", "informatiker", "--region", "01",
                       "--password-stdin"], input="a long password\n")
    assert added.exit_code == 0, added.output
    assert "anna\tinformatiker\t01\tactive" in run(main, ["--database-url", url, "user", "list"]).output
    short = run(main, ["--database-url", url, "user", "password", "anna", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least" in short.output and "Traceback" not in short.output
    key = run(main, ["--database-url", url, "apikey", "add", "lab", "--role", "vardlots"]).output.strip()
    assert t.Accounts(t.Database(url)).check_key(key).subject == "key:lab"
    assert run(main, ["--database-url", url, "apikey", "revoke", key.split(".")[0]]).exit_code == 0
