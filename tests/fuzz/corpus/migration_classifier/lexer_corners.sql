-- tether:no-transaction
CREATE TRIGGER t AFTER INSERT ON x BEGIN
  UPDATE y SET a = CASE WHEN new.b THEN 1 ELSE 2 END; -- inside
  INSERT INTO z VALUES ('it''s; fine', "q""id", [br;acket], `back;tick`, X'00ff');
END;
CREATE TEMP TRIGGER t2 BEFORE DELETE ON x BEGIN SELECT 1; END;
/* block /* nested */ still */ SELECT $$a;b$$, $tag$ x; $$ $tag$, E'\';', B'01', U&'\0041', U&"d\0061t", N'n', $1;
CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
CREATE FUNCTION g() RETURNS trigger AS $body$ BEGIN RETURN NEW; END; $body$ LANGUAGE plpgsql;
SELECT 0xFF, 1e-3, .5, 3.14, a::text, b <= c || d, ?1, :name, @name, $name
