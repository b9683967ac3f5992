#!/usr/bin/python3
"""An independent SAML 2.0 identity provider (pysaml2, Debian's python3-pysaml2 with xmlsec1) for the interop test.

  pysaml2_idp.py metadata DIR SP_METADATA_FILE        prints this IdP's metadata (creates its key in DIR)
  pysaml2_idp.py respond DIR SP_METADATA_FILE URL     reads the AuthnRequest the SP redirected to (URL), checks its
                                                      redirect signature with the SP's certificate, and prints JSON
                                                      {"action", "SAMLResponse", "RelayState"} to post to the SP's ACS
The user it vouches for: li@idp.example.test, displayName 李雷. Signs with RSA-SHA256 (SHA1=1 in the environment:
pysaml2's default RSA-SHA1, which the SP must refuse).
"""
import base64
import json
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import verify_redirect_signature

ENTITY = "https://idp.example.test/idp"
SSO = "https://idp.example.test/sso"


def server(directory, sp_metadata):
    key = os.path.join(directory, "idp.key")
    cert = os.path.join(directory, "idp.crt")
    if not os.path.exists(key):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "30", "-subj", "/CN=idp.example.test"], check=True, capture_output=True)
    conf = IdPConfig()
    conf.load({
        "entityid": ENTITY,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(SSO, BINDING_HTTP_REDIRECT), (SSO, BINDING_HTTP_POST)]},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            # the redirect signature is checked below (pysaml2 would look for an XML signature in the request)
            "want_authn_requests_signed": False,
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_URI}},
        }},
        "key_file": key,
        "cert_file": cert,
        "metadata": {"local": [sp_metadata]},
        "xmlsec_binary": "/usr/bin/xmlsec1",
    })
    return Server(config=conf), conf


def main():
    mode, directory, sp_metadata = sys.argv[1], sys.argv[2], sys.argv[3]
    srv, conf = server(directory, sp_metadata)
    if mode == "metadata":
        print(str(entity_descriptor(conf)))
        return
    query = {k: v[0] for k, v in parse_qs(urlsplit(sys.argv[4]).query).items()}
    sp_entity = None
    info = srv.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
    request = info.message
    sp_entity = request.issuer.text
    # the SP's redirect signature, checked by an implementation that is not the SP's
    certs = srv.metadata.certs(sp_entity, "spsso", "signing")
    if not any(verify_redirect_signature(query, srv.sec.sec_backend, cert=c) for c in certs):
        sys.exit("the SP's AuthnRequest signature does not verify")
    response = srv.create_authn_response(
        identity={"uid": ["li"], "displayName": ["李雷"]},
        in_response_to=request.id,
        destination=request.assertion_consumer_service_url,
        sp_entity_id=sp_entity,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="li@idp.example.test"),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
        sign_response=True,
        sign_assertion=True,
        # pysaml2 7.0 signs with RSA-SHA1 unless told: SHA1=1 keeps that (the SP must refuse it)
        sign_alg=None if os.environ.get("SHA1") else "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest_alg=None if os.environ.get("SHA1") else "http://www.w3.org/2001/04/xmlenc#sha256",
    )
    print(json.dumps({
        "action": request.assertion_consumer_service_url,
        "SAMLResponse": base64.b64encode(str(response).encode("utf-8")).decode("ascii"),
        "RelayState": query.get("RelayState"),
    }))


if __name__ == "__main__":
    main()
