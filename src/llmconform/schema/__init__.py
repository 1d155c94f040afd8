"""JSON Schema validation of wire documents, behind one interface.

`validate(instance, schema_id)` answers with the errors jsonschema would report; inside, a
predicate compiled from the schema (`fast`) answers first and root `if`s an instance certainly
fails are decided in advance (`branches`). The inspection functions expose what the tests
hold those shortcuts against.
"""

from llmconform.schema.validation import (
    ID_PREFIX,
    SchemaError,
    fast_predicate,
    get_schema,
    json_path,
    prepared_schema,
    reference_errors,
    schema_ids,
    schema_problem,
    validate,
)

__all__ = [
    "ID_PREFIX",
    "SchemaError",
    "fast_predicate",
    "get_schema",
    "json_path",
    "prepared_schema",
    "reference_errors",
    "schema_ids",
    "schema_problem",
    "validate",
]
