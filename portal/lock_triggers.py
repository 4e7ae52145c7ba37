"""The SQL of the database's refusals of writes into a school year the district accepted, as the
migrations that write them share it (revisions ``b3e8d1f4a620``, ``c2f6a8e4d1b9``): SQLite's
``RAISE`` and PostgreSQL's trigger function, both saying "school year locked by the district:
<what> refused" (the services refuse first, in words: ``year.locked``). Plain SQL text: no
model is read, so later changes of the models leave the revisions as they ran."""

from __future__ import annotations


def sqlite_raise(what: str) -> str:
    """The body of a SQLite trigger that refuses the write."""
    return f"SELECT RAISE(ABORT, 'school year locked by the district: {what} refused')"


def either(template: str) -> str:
    """A PostgreSQL row trigger's condition on the new row (insert, update) or the old one
    (update, delete): ``template`` with ``{r}`` for the row."""
    return (f"(TG_OP <> 'DELETE' AND {template.format(r='NEW')}) "
            f"OR (TG_OP <> 'INSERT' AND {template.format(r='OLD')})")


def pg_function(name: str, condition: str, what: str, *, replace: bool = False) -> str:
    """``CREATE [OR REPLACE] FUNCTION name()``: a PostgreSQL trigger function that refuses the
    write when ``condition`` holds and lets it through otherwise."""
    create = "CREATE OR REPLACE FUNCTION" if replace else "CREATE FUNCTION"
    return f"""
        {create} {name}() RETURNS trigger AS $$
        BEGIN
            IF {condition} THEN
                RAISE EXCEPTION 'school year locked by the district: % refused', '{what}'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
