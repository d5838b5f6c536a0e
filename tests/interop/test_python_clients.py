"""Python authlib gets a token; PyJWT verifies it against the JWKS named by the metadata."""
import time

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

SCOPE = "acme:orgs=read acme:users=read('./')"


def metadata(server):
    return requests.get(server.base + "/.well-known/oauth-authorization-server", timeout=5).json()


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authlib_token_verified_by_pyjwt(server, integration, auth_method):
    meta = metadata(server)
    assert auth_method in meta["token_endpoint_auth_methods_supported"]
    session = OAuth2Session(integration["application_id"], integration["app_secret"],
                            token_endpoint_auth_method=auth_method)
    token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == SCOPE
    assert "refresh_token" not in token

    access_token = token["access_token"]
    signing_key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(access_token)
    claims = jwt.decode(
        access_token,
        signing_key.key,
        algorithms=["ES256"],
        audience=meta["issuer"],
        issuer=meta["issuer"],
        leeway=0,
        options={"require": ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]},
    )
    header = jwt.get_unverified_header(access_token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    assert header["kid"] == signing_key.key_id
    assert claims["iss"] == meta["issuer"]
    assert claims["client_id"] == claims["sub"] == integration["application_id"]
    assert claims["scope"] == SCOPE
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] <= time.time()


def test_pyjwt_rejects_a_tampered_token(server, integration):
    meta = metadata(server)
    session = OAuth2Session(integration["application_id"], integration["app_secret"])
    access_token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")["access_token"]
    header, payload, sig = access_token.split(".")
    forged = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), sig])
    key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(access_token).key
    with pytest.raises(jwt.exceptions.PyJWTError):
        jwt.decode(forged, key, algorithms=["ES256"], audience=meta["issuer"], leeway=0)


def test_authlib_sees_oauth_errors(server, integration):
    meta = metadata(server)
    session = OAuth2Session(integration["application_id"], "p6s_wrong")
    from authlib.integrations.base_client.errors import OAuthError
    with pytest.raises(OAuthError) as err:
        session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert err.value.error == "invalid_client"
