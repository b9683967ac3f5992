#!/usr/bin/python3
"""An independent SAML 2.0 service provider (pysaml2, Debian's python3-pysaml2 with xmlsec1): a portal outside the
EduFed tree that the province's IdP answers once registered, for the interop test.

  pysaml2_sp.py metadata DIR IDP_METADATA_FILE       prints this SP's metadata (creates its key in DIR)
  pysaml2_sp.py request DIR IDP_METADATA_FILE        prints JSON {"url", "id"}: the IdP's SSO address with a signed
                                                     AuthnRequest (HTTP-Redirect, RSA-SHA256); UNSIGNED=1 in the
                                                     environment leaves the signature out
  pysaml2_sp.py verify DIR IDP_METADATA_FILE ID B64  verifies the IdP's Response (HTTP-POST, base64) with pysaml2's
                                                     own code: signatures by the IdP's metadata key, InResponseTo ID,
                                                     audience, destination, validity; prints JSON {"issuer",
                                                     "name_id", "attributes"}; exits non-zero when it does not verify
"""
import json
import os
import subprocess
import sys

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import SIG_RSA_SHA256

ENTITY = "https://portal.example.test/sp"
ACS = "https://portal.example.test/acs"


def client(directory, idp_metadata, signed=True):
    key = os.path.join(directory, "sp.key")
    cert = os.path.join(directory, "sp.crt")
    if not os.path.exists(key):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "30", "-subj", "/CN=portal.example.test"], check=True, capture_output=True)
    conf = SPConfig()
    conf.load({
        "entityid": ENTITY,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(ACS, BINDING_HTTP_POST)]},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "authn_requests_signed": signed,
            "want_response_signed": True,
            "want_assertions_signed": True,
            "allow_unsolicited": False,
            "allow_unknown_attributes": True,
        }},
        "key_file": key,
        "cert_file": cert,
        "metadata": {"local": [idp_metadata]} if idp_metadata else {},
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "accepted_time_diff": 90,
    })
    return Saml2Client(config=conf), conf


def main():
    mode, directory, idp_metadata = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "metadata":
        _, conf = client(directory, None)
        print(str(entity_descriptor(conf)))
        return
    signed = not os.environ.get("UNSIGNED")
    sp, conf = client(directory, idp_metadata, signed)
    idp = next(iter(sp.metadata.identity_providers()))
    if mode == "request":
        request_id, info = sp.prepare_for_authenticate(
            entityid=idp,
            relay_state="/portal/",
            binding=BINDING_HTTP_REDIRECT,
            sign=signed,
            sigalg=SIG_RSA_SHA256 if signed else None,
            nameid_format=NAMEID_FORMAT_PERSISTENT,
        )
        location = dict(info["headers"])["Location"]
        print(json.dumps({"url": location, "id": request_id}))
        return
    request_id, response = sys.argv[4], sys.argv[5]
    parsed = sp.parse_authn_request_response(response, BINDING_HTTP_POST, outstanding={request_id: "/portal/"})
    if parsed is None:
        sys.exit("the IdP's response does not verify")
    attributes = {}
    for statement in parsed.assertion.attribute_statement:
        for a in statement.attribute:
            attributes[a.name] = [v.text for v in a.attribute_value]
    print(json.dumps({
        "issuer": parsed.issuer(),
        "name_id": parsed.name_id.text,
        "in_response_to": parsed.in_response_to,
        "attributes": attributes,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
