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
    listed = run(main, ["--database-url", url, "apikey", "list"])
    assert listed.exit_code == 0
    header, row = listed.output.splitlines()
    assert header.split("\t") == ["id", "name", "roles", "region", "created", "last used", "state"]
    key_id, name, roles, region, created, last_used, state = row.split("\t")
    assert (key_id, name, roles, region, state) == (key.split(".")[0], "lab", "vardlots", "-", "revoked")
    assert created[:4].isdigit() and last_used[:4].isdigit()  # it was used by check_key above


# --- issue 15: login throttle and server-side sessions --------------------------------------------------

def _login(client: TestClient, user: str, password: str, address_headers: dict | None = None):
    form = client.get("/app/login").text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    return client.post("/app/login", data={"username": user, "password": password, "csrf": csrf},
                       follow_redirects=False, headers=address_headers or {})


def test_wrong_passwords_are_throttled_per_account_and_per_address(app_for, backend, caplog):
    client, db = app_for(backend, login_max_failures=3, login_max_failures_per_address=5)
    accounts = t.Accounts(db)
    accounts.add_user("anna", "ett-langt-losen", ("vardlots",), "05")
    accounts.add_user("bo", "ett-annat-losen", ("vardlots",), "05")
    for _ in range(3):
        assert _login(client, "anna", "fel-losen-123").status_code == 401
    with caplog.at_level("WARNING", logger="terminology.accounts"):
        locked = _login(client, "anna", "ett-langt-losen")  # even the right password waits
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60
    assert "För många misslyckade inloggningar" in locked.text and "Vänta 15 minuter" in locked.text
    assert any("login throttled for 'anna'" in r.getMessage() for r in caplog.records)
    assert _login(client, "bo", "ett-annat-losen").status_code == 303  # another account, same address: fine
    for _ in range(2):
        assert _login(client, "bo", "fel-losen-123").status_code == 401
    assert _login(client, "bo", "ett-annat-losen").status_code == 429  # 5 failures from this address
    # The throttle lives in the database: another worker (app) on it refuses too.
    other, _ = TestClient(create_app(Settings(database_url=db.url.render_as_string(hide_password=False),
                                              catalog_refresh_seconds=0, login_max_failures=3))), None
    with other:
        assert _login(other, "anna", "ett-langt-losen").status_code == 429


def test_a_successful_login_clears_the_account_failures(new_db):
    accounts = t.Accounts(new_db("sqlite"), throttle=t.LoginThrottle(max_failures=2))
    accounts.add_user("anna", "ett-langt-losen", ("vardlots",), "05")
    with pytest.raises(t.Unauthenticated):
        accounts.login("anna", "fel-losen-123")
    accounts.login("anna", "ett-langt-losen")
    with pytest.raises(t.Unauthenticated):
        accounts.login("anna", "fel-losen-123")
    accounts.login("anna", "ett-langt-losen")  # one failure since the last success: not throttled


@pytest.mark.parametrize("how", ["logout", "disabled", "password"])
def test_sessions_end_on_the_server(app_for, backend, how):
    client, db = app_for(backend)
    accounts = t.Accounts(db)
    accounts.add_user("anna", "ett-langt-losen", ("informatiker",), "05")
    assert _login(client, "anna", "ett-langt-losen").status_code == 303
    cookie = client.cookies["vardterm_session"]
    assert client.get("/app/sok", follow_redirects=False).status_code == 200
    # A second worker (another app on the same database) accepts the same cookie, and sees it end.
    settings = Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0,
                        session_secret=None)
    other = TestClient(create_app(settings))
    other.app.state.session_secret = client.app.state.session_secret
    other.cookies.set("vardterm_session", cookie)
    with other:
        assert other.get("/app/sok", follow_redirects=False).status_code == 200
        assert other.get("/fhir/r4/Contract").status_code == 200  # the API takes the session too
        if how == "logout":
            page = client.get("/app/sok").text
            csrf = page.split('name="csrf" value="')[1].split('"')[0]
            assert client.post("/app/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        elif how == "disabled":
            accounts.set_active("anna", False)
        else:
            accounts.set_password("anna", "ett-nytt-langt-losen")
        copied = TestClient(client.app, cookies={"vardterm_session": cookie})
        assert copied.get("/app/sok", follow_redirects=False).status_code == 303  # to the login form
        assert other.get("/app/sok", follow_redirects=False).status_code == 303
        assert copied.get("/fhir/r4/Contract").status_code == 401
