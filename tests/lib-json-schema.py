#!/usr/bin/env python3
"""Validate one git dc --json document against its schema.

usage: lib-json-schema.py <schema file> <document file>

The document must be exactly one strict JSON value (no duplicate member, no
NaN, nothing after it). References between the schemas of
Documentation/schemas ("common.schema.json#/$defs/oid") resolve to the
files next to <schema file>. Exit 0: valid; 1: the document does not match;
2: the schema or the document cannot be read. Works with the jsonschema of
Debian 12 (4.10, RefResolver) and with later ones (the referencing
registry).
"""
import json
import os
import sys

import jsonschema


def strict_object(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate member %r" % key)
        obj[key] = value
    return obj


def no_constant(name):
    raise ValueError("not JSON: %s" % name)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.loads(f.read(), object_pairs_hook=strict_object,
                          parse_constant=no_constant)


def validator_for(schema_path):
    here = os.path.dirname(os.path.abspath(schema_path))
    schema = load(schema_path)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    store = {}
    for name in os.listdir(here):
        if name.endswith(".schema.json"):
            other = load(os.path.join(here, name))
            cls.check_schema(other)
            store[name] = other
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        base = "file://" + here + "/"
        resolver = jsonschema.RefResolver(
            base_uri=base + os.path.basename(schema_path), referrer=schema,
            store={base + name: s for name, s in store.items()})
        return cls(schema, resolver=resolver)
    registry = Registry().with_resources(
        (name, Resource.from_contents(s, default_specification=DRAFT202012))
        for name, s in store.items())
    return cls(schema, registry=registry)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        validator = validator_for(argv[1])
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print("error: schema %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    try:
        doc = load(argv[2])
    except (OSError, ValueError) as e:
        print("error: %s is not one JSON document: %s" % (argv[2], e), file=sys.stderr)
        return 1
    errors = list(validator.iter_errors(doc))
    if errors:
        # the error deepest in the document says most: "/frame: '1' is not
        # of type 'integer'" rather than "matches none of the oneOf"
        e = jsonschema.exceptions.best_match(errors)
        while e.context:
            e = max(e.context, key=lambda s: len(list(s.absolute_path)))
        msg = e.message if len(e.message) < 200 else e.message[:160] + "..."
        print("error: %s: /%s: %s" % (argv[2], "/".join(str(p) for p in e.absolute_path),
                                      msg), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
