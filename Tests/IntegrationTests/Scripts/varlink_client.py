#!/usr/bin/env python3
"""Drive nameindexd with the independent Python varlink client (PyPI 'varlink').

Usage: varlink_client.py SOCKET
Prints one JSON object with what each call returned; the Swift test checks it.
"""
import json
import sys

import varlink


def main(socket_path):
    out = {}
    with varlink.Client(address="unix:" + socket_path) as client:
        with client.open("org.varlink.service") as service:
            info = service.GetInfo()
            out["info"] = {k: info[k] for k in ("vendor", "product", "version", "interfaces")}
            out["description"] = service.GetInterfaceDescription("io.nameindex.Index")["description"]
        # open() fetches and parses the interface definition: it must be valid varlink IDL.
        with client.open("io.nameindex.Index") as index:
            out["lookup"] = index.Lookup("user", ["42", "1022", "missing"])
            out["namespaces"] = index.ListNamespaces()
            status = index.Status()
            out["status"] = {
                "state": status["state"],
                "generation": status["generation"],
                "sources": [(s["name"], s["state"], s["rows"]) for s in status["sources"]],
            }
            try:
                index.Lookup("no-such-namespace", ["1"])
                out["noSuchNamespace"] = None
            except varlink.VarlinkError as error:
                out["noSuchNamespace"] = error.error()
            # A method the interface does not define: send it raw, as a broken client would.
            index._send_message(json.dumps({"method": "io.nameindex.Index.Explode"}).encode())
            try:
                index._next_varlink_message()
                out["unknownMethod"] = None
            except varlink.VarlinkError as error:
                out["unknownMethod"] = error.error()
                out["unknownMethodParameters"] = error.parameters()
            # The same connection keeps working after the error.
            out["lookupAfterError"] = index.Lookup("country", ["JP"])
    print(json.dumps(out, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
