"""A signing-key rotation while tokens are outstanding: PyJWT verifies the old and the new token
against the JWKS named by the metadata, and introspection calls both active."""
import time

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session

from conftest import cli


def fetch(server, integration):
    meta = requests.get(server.base + "/.well-known/oauth-authorization-server", timeout=5).json()
    session = OAuth2Session(integration["application_id"], integration["app_secret"])
    return meta, session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")["access_token"]


def verify(meta, token):
    key = jwt.PyJWKClient(meta["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["ES256", "EdDSA", "RS256"], audience=meta["issuer"],
                      issuer=meta["issuer"], leeway=0)


def test_old_and_new_tokens_verify_across_a_key_rotation(server, integration):
    meta, old = fetch(server, integration)
    old_kid = jwt.get_unverified_header(old)["kid"]
    out = cli(server.data_dir, "keys", "rotate", "--prepublish", "0", "--algorithm", "EdDSA")
    new_kid = out.split()[3]
    assert new_kid != old_kid

    deadline = time.monotonic() + 2
    new = old
    while jwt.get_unverified_header(new)["kid"] != new_kid:
        assert time.monotonic() < deadline, "the rotated key must sign within 2 s"
        time.sleep(0.05)
        _, new = fetch(server, integration)
    assert jwt.get_unverified_header(new)["alg"] == "EdDSA"

    kids = [k["kid"] for k in requests.get(meta["jwks_uri"], timeout=5).json()["keys"]]
    assert kids == [old_kid, new_kid]
    assert verify(meta, old)["client_id"] == integration["application_id"]
    assert verify(meta, new)["client_id"] == integration["application_id"]
    auth = (integration["application_id"], integration["app_secret"])
    for token in (old, new):
        r = requests.post(meta["introspection_endpoint"], data={"token": token}, auth=auth, timeout=5)
        assert r.status_code == 200
        assert r.json()["active"] is True
