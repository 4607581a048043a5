//! The condition language: literals, operators, types, evaluation edge cases and errors.

use alloy_primitives::{Address, I256, U256, address};
use monitor::lang::{Env, LangError, Type, Value, compile};

const ALLOWED: Address = address!("00000000000000000000000000000000000000aa");
const STRANGER: Address = address!("00000000000000000000000000000000000000bb");

/// The fields of the test environment, in order, with a default value each.
fn fields() -> Vec<(&'static str, Type, Value)> {
    vec![
        ("caller", Type::Address, Value::Address(STRANGER)),
        ("value", Type::Uint(256), Value::Uint(U256::ZERO)),
        ("to", Type::Address, Value::Address(ALLOWED)),
        ("Transfer.value", Type::Uint(256), Value::Uint(U256::ZERO)),
        ("delta", Type::Int(256), Value::Int(I256::ZERO)),
        ("small", Type::Int(8), Value::Int(I256::ZERO)),
        ("amount", Type::Uint(8), Value::Uint(U256::ZERO)),
        ("paused", Type::Bool, Value::Bool(false)),
        (
            "data",
            Type::Bytes(None),
            Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef]),
        ),
        ("name", Type::String, Value::String("Alice".into())),
        (
            "ids",
            Type::List(Box::new(Type::Uint(256))),
            Value::List(vec![Value::Uint(U256::from(7u8))]),
        ),
        (
            "selector",
            Type::Bytes(Some(4)),
            Value::Bytes(vec![0xa9, 0x05, 0x9c, 0xbb]),
        ),
    ]
}

fn env() -> Env {
    let mut env = Env::new();
    for (name, ty, _) in fields() {
        env.field(name, ty);
    }
    env.list("allow_list", Type::Address, vec![Value::Address(ALLOWED)]);
    env.list(
        "amounts",
        Type::Uint(256),
        vec![Value::Uint(U256::from(1u8)), Value::Uint(U256::from(2u8))],
    );
    env.list(
        "names",
        Type::String,
        vec![Value::String("alice".into()), Value::String("bob".into())],
    );
    env
}

/// Evaluates `source` with the default values, `changes` applied by field name.
fn eval_with(source: &str, changes: &[(&str, Value)]) -> bool {
    let condition = compile(source, &env()).unwrap_or_else(|e| panic!("{source}: {e}"));
    let values: Vec<Value> = fields()
        .into_iter()
        .map(|(name, _, value)| {
            changes
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(value, |(_, v)| v.clone())
        })
        .collect();
    condition.eval(&values)
}

fn eval(source: &str) -> bool {
    eval_with(source, &[])
}

fn uint(value: u128) -> Value {
    Value::Uint(U256::from(value))
}

fn int(value: i128) -> Value {
    Value::Int(I256::try_from(value).unwrap())
}

/// The error `source` gives, as (line, column, message).
fn error(source: &str) -> (usize, usize, String) {
    match compile(source, &env()) {
        Ok(_) => panic!("`{source}` compiled"),
        Err(LangError {
            line,
            column,
            message,
        }) => (line, column, message),
    }
}

fn assert_error(source: &str, line: usize, column: usize, message: &str) {
    let shown: String = source.chars().take(80).collect();
    assert_eq!(
        error(source),
        (line, column, message.to_string()),
        "for `{shown}`"
    );
}

#[test]
fn allow_list_and_value_threshold() {
    let source = "caller not in allow_list and value > 100 ether";
    let big = uint(101 * 10u128.pow(18));
    assert!(eval_with(source, &[("value", big.clone())]));
    assert!(!eval_with(
        source,
        &[("value", big), ("caller", Value::Address(ALLOWED))]
    ));
    assert!(!eval_with(source, &[("value", uint(100 * 10u128.pow(18)))]));
    assert!(eval_with(
        "caller in allow_list",
        &[("caller", Value::Address(ALLOWED))]
    ));
}

#[test]
fn units_and_number_forms() {
    for source in [
        "1 ether == 1000000000000000000",
        "1 gwei == 1000000000",
        "5 wei == 5",
        "1.5 gwei == 1500000000",
        "1.5 ether == 1500000000000000000",
        "0.000000001 ether == 1 gwei",
        "1e24 == 1000000000000000000000000",
        "1.5e18 == 1500000000000000000",
        "250e-1 * 2 == 5e1",
        "1_000 == 1000",
        "0xff == 255",
        "0x0 == 0",
        "1e77 > 0",
        "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff \
         == 115792089237316195423570985008687907853269984665640564039457584007913129639935",
    ] {
        assert!(eval(source), "{source}");
    }
    assert!(!eval("1 ether == 1 gwei"));
}

#[test]
fn dotted_names_are_whole_names() {
    let changes = [
        ("Transfer.value", uint(2 * 10u128.pow(24))),
        ("value", uint(1)),
    ];
    assert!(eval_with("Transfer.value > 1e24", &changes));
    assert!(!eval_with("value > 1e24", &changes));
    assert!(!eval("Transfer.value > 1e24"));
}

#[test]
fn comparison_operators() {
    let v = [("value", uint(10))];
    for (source, expected) in [
        ("value == 10", true),
        ("value != 10", false),
        ("value < 10", false),
        ("value <= 10", true),
        ("value > 9", true),
        ("value >= 11", false),
        ("10 == value", true),
        ("value in [1, 10, 100]", true),
        ("value not in [1, 10, 100]", false),
        ("value in amounts", false),
        ("value in ids", false),
        ("7 in ids", true),
        ("value in [100, 3, 50, 10, 7]", true),
        ("value in [100, 3, 50, 11, 7]", false),
        ("-5 in [3, -5, 0]", true),
    ] {
        assert_eq!(eval_with(source, &v), expected, "{source}");
    }
}

#[test]
fn boolean_operators_and_precedence() {
    for (source, expected) in [
        ("true and false", false),
        ("true or false", true),
        ("not false", true),
        ("true && false || true", true),
        ("!paused", true),
        ("!(1 == 1)", false),
        ("false and true or true", true),
        ("false and (true or true)", false),
        ("not 1 == 2", true),
        ("not paused and paused", false),
        ("paused == false", true),
        ("paused != true", true),
        ("true in [true]", true),
        ("false in [true]", false),
        ("paused in [paused, true]", true),
    ] {
        assert_eq!(eval(source), expected, "{source}");
    }
}

#[test]
fn arithmetic() {
    let v = [("value", uint(10)), ("delta", int(-7))];
    for source in [
        "value + 5 == 15",
        "value - 3 == 7",
        "value * 3 == 30",
        "value / 3 == 3",
        "value % 3 == 1",
        "value + 2 * 3 == 16",
        "(value + 2) * 3 == 36",
        "value - 2 - 3 == 5",
        "value / 2 / 5 == 1",
        "delta / 2 == -3",
        "delta % 2 == -1",
        "-delta == 7",
        "--delta == -7",
        "abs(delta) == 7",
        "abs(-3) == 3",
        "1 + 2 * 3 == 7",
        "2 - 5 == -3",
    ] {
        assert!(eval_with(source, &v), "{source}");
    }
}

#[test]
fn addresses_bytes_and_strings() {
    for (source, expected) in [
        ("caller == 0x00000000000000000000000000000000000000bb", true),
        ("caller != to", true),
        ("to in [0x00000000000000000000000000000000000000aa]", true),
        (
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed == 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            true,
        ),
        ("data == hex\"deadbeef\"", true),
        ("data == hex\"0xdeadbeef\"", true),
        ("data != hex\"\"", true),
        ("selector == hex\"a9059cbb\"", true),
        ("selector in [hex\"a9059cbb\", hex\"095ea7b3\"]", true),
        ("len(data) == 4", true),
        ("name == \"Alice\"", true),
        ("lower(name) == \"alice\"", true),
        ("lower(name) in names", true),
        ("name in names", false),
        ("len(name) == 5", true),
        ("len(allow_list) == 1", true),
        ("len(ids) == 1", true),
        ("len([1, 2, 3]) == 3", true),
        ("len([true, true]) == 2", true),
        ("len([to, to]) == 2", true),
        (
            "len([0x00000000000000000000000000000000000000aa, 0x00000000000000000000000000000000000000aa]) == 2",
            true,
        ),
        ("len(\"é\") == 2", true),
        ("\"b\" in [\"c\", \"a\", \"b\"]", true),
        ("hex\"01\" in [hex\"02\", hex\"01\"]", true),
        ("hex\"03\" in [hex\"02\", hex\"01\"]", false),
        (r#""a\"b\\" == "a\"b\\""#, true),
        (r#""a\"b" == "a\\b""#, false),
    ] {
        assert_eq!(eval(source), expected, "{source}");
    }
    assert!(eval_with(
        r#"name == "say \"hi\" \\o/""#,
        &[("name", Value::String("say \"hi\" \\o/".into()))]
    ));
}

#[test]
fn numbers_compare_across_widths_and_signs() {
    let max = Value::Uint(U256::MAX);
    let min = Value::Int(I256::MIN);
    for (source, changes, expected) in [
        (
            "delta < value",
            vec![("delta", min.clone()), ("value", max.clone())],
            true,
        ),
        (
            "value > delta",
            vec![("delta", Value::Int(I256::MAX)), ("value", max.clone())],
            true,
        ),
        (
            "delta < value",
            vec![("delta", int(-1)), ("value", uint(0))],
            true,
        ),
        (
            "delta == value",
            vec![("delta", int(5)), ("value", uint(5))],
            true,
        ),
        ("small == -128", vec![("small", int(-128))], true),
        (
            "small < amount",
            vec![("small", int(-1)), ("amount", uint(255))],
            true,
        ),
        (
            "value == 115792089237316195423570985008687907853269984665640564039457584007913129639935",
            vec![("value", max.clone())],
            true,
        ),
        (
            "delta == -57896044618658097711785492504343953926634992332820282019728792003956564819968",
            vec![("delta", min.clone())],
            true,
        ),
        ("value > -1", vec![], true),
        (
            "abs(delta) == 57896044618658097711785492504343953926634992332820282019728792003956564819968",
            vec![("delta", min.clone())],
            true,
        ),
    ] {
        assert_eq!(eval_with(source, &changes), expected, "{source}");
    }
}

#[test]
fn overflow_and_division_by_zero_make_the_comparison_false() {
    let full = [("amount", uint(255))];
    assert!(!eval_with("amount + 1 > 0", &full));
    assert!(!eval_with("amount + 1 != 0", &full));
    assert!(!eval_with("amount + 1 == 0", &full));
    assert!(eval_with("not (amount + 1 > 0)", &full));
    assert!(eval_with("amount + 1 > 0 or true", &full));
    assert!(eval_with("amount + 0 == 255", &full));
    // uint8 + uint256 is done in 256 bits.
    assert!(eval_with(
        "amount + value == 256",
        &[("amount", uint(255)), ("value", uint(1))]
    ));
    assert!(!eval_with("value - 1 < 5", &[("value", uint(0))]));
    assert!(!eval_with(
        "value * value > 0",
        &[("value", Value::Uint(U256::MAX))]
    ));
    assert!(!eval_with("value / amount > 0", &[("value", uint(1))]));
    assert!(!eval_with("value % amount == 0", &[("value", uint(1))]));
    assert!(!eval_with(
        "value / amount in [0, 1]",
        &[("value", uint(1))]
    ));
    assert!(!eval_with(
        "-delta > 0",
        &[("delta", Value::Int(I256::MIN))]
    ));
    assert!(!eval_with("small * 2 < 0", &[("small", int(-128))]));
    assert!(eval_with("small * 1 < 0", &[("small", int(-128))]));
    // An element that cannot be computed matches nothing; the others still do.
    assert!(eval_with("1 in [value / amount, 1]", &[("value", uint(1))]));
}

#[test]
fn field_values_of_the_wrong_type_make_the_condition_false() {
    let condition = compile("value > 1 or true", &env()).unwrap();
    let mut values: Vec<Value> = fields().into_iter().map(|(_, _, v)| v).collect();
    values[1] = Value::Bool(true);
    assert!(!condition.eval(&values));
    // Even under `not`: a malformed field is not an overflow.
    let condition = compile("not (value > 1)", &env()).unwrap();
    assert!(!condition.eval(&values));
    assert!(!condition.eval(&[]));
    // A uint8 field holding more than 8 bits is malformed too.
    values = fields().into_iter().map(|(_, _, v)| v).collect();
    values[6] = uint(256);
    assert!(!compile("amount > 0", &env()).unwrap().eval(&values));
    values[6] = uint(255);
    assert!(compile("amount > 0", &env()).unwrap().eval(&values));
    // A bytes4 field of another length.
    values[11] = Value::Bytes(vec![1, 2]);
    assert!(!compile("len(selector) == 2", &env()).unwrap().eval(&values));
}

#[test]
fn fields_used_in_order() {
    let condition = compile("value > 1 and caller in allow_list or value < 0", &env()).unwrap();
    assert_eq!(condition.fields_used(), &[0, 1]);
    assert!(compile("true", &env()).unwrap().fields_used().is_empty());
}

#[test]
fn long_chains_compile_and_evaluate() {
    let chain = vec!["value > 1"; 10_000].join(" and ");
    assert!(eval_with(&chain, &[("value", uint(2))]));
    assert!(!eval_with(&chain, &[("value", uint(1))]));
    let chain = vec!["paused"; 10_000].join(" || ");
    assert!(!eval(&chain));
    let sum = vec!["value"; 10_000].join(" + ");
    assert!(eval_with(&format!("{sum} == 20000"), &[("value", uint(2))]));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}value > 1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert_error(
        &deep,
        1,
        65,
        "the condition is nested deeper than 64 levels",
    );
    let nots = format!("{}paused", "not ".repeat(10_000));
    assert_error(
        &nots,
        1,
        257,
        "the condition is nested deeper than 64 levels",
    );
    let bangs = format!("{}paused", "!".repeat(10_000));
    assert_error(
        &bangs,
        1,
        65,
        "the condition is nested deeper than 64 levels",
    );
    let negs = format!("{}1 < delta", "-".repeat(10_000));
    assert_error(
        &negs,
        1,
        65,
        "the condition is nested deeper than 64 levels",
    );
    let lists = format!("1 in {}1{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_error(
        &lists,
        1,
        70,
        "the condition is nested deeper than 64 levels",
    );
    let calls = format!(
        "{}name{} == \"a\"",
        "lower(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_error(
        &calls,
        1,
        64 * 6 + 1,
        "the condition is nested deeper than 64 levels",
    );
    // 64 levels are fine.
    let ok = format!("{}value > 1{}", "(".repeat(64), ")".repeat(64));
    assert!(eval_with(&ok, &[("value", uint(2))]));
}

#[test]
fn lexical_errors() {
    assert_error("value > 1 #", 1, 11, "unexpected character `#`");
    assert_error(
        "name == \"abc",
        1,
        9,
        "unterminated string: missing the closing `\"`",
    );
    assert_error(
        "name == \"a\\n\"",
        1,
        11,
        "unknown escape `\\n`; the escapes are `\\\"` and `\\\\`",
    );
    assert_error("value = 1", 1, 7, "unexpected `=`; compare with `==`");
    assert_error(
        "paused & paused",
        1,
        8,
        "unexpected `&`; write `and` (or `&&`)",
    );
    assert_error(
        "value > 10ether",
        1,
        11,
        "unexpected `e` right after the number `10` (a unit needs a space: `10 ether`)",
    );
    assert_error(
        "data == hex\"abc\"",
        1,
        9,
        "`hex\"abc\"` has an odd number of hex digits",
    );
    assert_error("value > 0x", 1, 9, "`0x` must be followed by hex digits");
    assert_error(
        "value > 0xfg",
        1,
        12,
        "unexpected `g` right after the number `0xf`",
    );
    assert_error(
        "value > 1.2.3",
        1,
        12,
        "unexpected `.` right after the number `1.2`",
    );
    assert_error(
        "caller == 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        1,
        11,
        "`0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD` has a wrong EIP-55 checksum \
         (expected `0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed`); check the address, or write it all in lowercase",
    );
}

#[test]
fn literal_errors() {
    assert_error("value > 1e78", 1, 9, "`1e78` is too large for 256 bits");
    assert_error(
        "value > 115792089237316195423570985008687907853269984665640564039457584007913129639936",
        1,
        9,
        "`115792089237316195423570985008687907853269984665640564039457584007913129639936` is too large for 256 bits",
    );
    let hex = format!("value > 0x1{}", "0".repeat(64));
    assert_error(
        &hex,
        1,
        9,
        &format!("`0x1{}` is too large for 256 bits", "0".repeat(64)),
    );
    assert_error(
        "value > 1e77 ether",
        1,
        9,
        "`1e77 ether` is too large for 256 bits",
    );
    assert_error(
        "value > 200000000000 ether * 1e60",
        1,
        28,
        "this arithmetic goes beyond 256 bits",
    );
    assert_error(
        "value > 1e60 * 1e60",
        1,
        14,
        "this arithmetic goes beyond 256 bits",
    );
    assert_error("value > 1.5", 1, 9, "`1.5` is not a whole number");
    assert_error(
        "value > 1.5 wei",
        1,
        9,
        "`1.5 wei` is not a whole number of wei",
    );
    assert_error(
        "value > 1e999999",
        1,
        9,
        "`1e999999` is too large for 256 bits",
    );
    assert_error(
        "value > 1e-999999",
        1,
        9,
        "`1e-999999` is not a whole number",
    );
    assert_error(
        "value > 1e-3 ether * 1e-19",
        1,
        22,
        "`1e-19` is not a whole number",
    );
    assert_error("amount + 300 > 1", 1, 10, "`300` does not fit in uint8");
    assert_error("value + -1 > 1", 1, 9, "`-1` does not fit in uint256");
    assert_error("value / 0 > 1", 1, 7, "division by zero");
    assert_error("value % (2 - 2) > 1", 1, 7, "division by zero");
    assert_error(
        "value > 0x10 ether",
        1,
        14,
        "a unit follows a decimal number (`1 ether`), not a hex one",
    );
}

#[test]
fn syntax_errors() {
    assert_error("", 1, 1, "the condition is empty");
    assert_error("  \n ", 1, 1, "the condition is empty");
    assert_error(
        "value > 1 value",
        1,
        11,
        "unexpected `value` after a complete condition; join conditions with `and` or `or`",
    );
    assert_error(
        "value > 1)",
        1,
        10,
        "unexpected `)`: there is no `(` to close",
    );
    assert_error(
        "(value > 1",
        1,
        11,
        "expected `)`, found the end of the condition",
    );
    assert_error(
        "value >",
        1,
        8,
        "expected a value, found the end of the condition",
    );
    assert_error("value > > 1", 1, 9, "expected a value, found `>`");
    assert_error(
        "1 < value < 3",
        1,
        11,
        "comparisons cannot be chained; write `a < b and b < c` instead of `a < b < c`",
    );
    assert_error(
        "value in [1, 2",
        1,
        15,
        "expected `,` or `]` to close the list, found the end of the condition",
    );
    assert_error(
        "len(data name) > 1",
        1,
        10,
        "expected `,` or `)` to close the arguments, found `name`",
    );
}

#[test]
fn name_and_type_errors() {
    assert_error(
        "valeu > 1",
        1,
        1,
        "unknown name `valeu`; did you mean `value`?",
    );
    assert_error(
        "Transfer.valu > 1",
        1,
        1,
        "unknown name `Transfer.valu`; did you mean `Transfer.value`?",
    );
    assert_error(
        "allow_lst",
        1,
        1,
        "unknown name `allow_lst`; did you mean `allow_list`?",
    );
    assert_error(
        "zzzzzzzz > 1",
        1,
        1,
        "unknown name `zzzzzzzz`; known names: `caller`, `value`, `to`, `Transfer.value`, `delta`, `small`, `amount`, `paused`",
    );
    assert_error(
        "caller == value",
        1,
        8,
        "cannot compare address with uint256",
    );
    assert_error("caller == 5", 1, 8, "cannot compare address with a number");
    assert_error("name != data", 1, 6, "cannot compare string with bytes");
    assert_error("paused == 1", 1, 8, "cannot compare bool with a number");
    assert_error("caller < to", 1, 8, "`<` compares numbers, not address");
    assert_error(
        "value",
        1,
        1,
        "the condition must be true or false, this is a uint256",
    );
    assert_error(
        "caller",
        1,
        1,
        "the condition must be true or false, this is an address",
    );
    assert_error(
        "1 + 1",
        1,
        1,
        "the condition must be true or false, this is a number",
    );
    assert_error(
        "value < 1 and 5",
        1,
        15,
        "`and` needs true or false, this is a number",
    );
    assert_error(
        "paused or name",
        1,
        11,
        "`or` needs true or false, this is a string",
    );
    assert_error(
        "not value",
        1,
        5,
        "`not` needs true or false, this is a uint256",
    );
    assert_error(
        "-value < 1",
        1,
        1,
        "cannot negate a uint256: it is never negative",
    );
    assert_error(
        "-caller < 1",
        1,
        1,
        "`-` needs a number, this is an address",
    );
    assert_error(
        "caller + 1 > 1",
        1,
        1,
        "`+` needs numbers, this is an address",
    );
    assert_error(
        "value * name > 1",
        1,
        9,
        "`*` needs numbers, this is a string",
    );
    assert_error(
        r#"name + "x" == "a""#,
        1,
        1,
        "`+` needs numbers, this is a string",
    );
    assert_error(
        "value + delta > 1",
        1,
        7,
        "cannot mix uint256 and int256 in arithmetic: both sides must be uints or both ints",
    );
    assert_error(
        "caller in amounts",
        1,
        8,
        "cannot look for an address in a list of uint256",
    );
    assert_error(
        "value in allow_list",
        1,
        7,
        "cannot look for a uint256 in a list of address",
    );
    assert_error(
        "value in 5",
        1,
        10,
        "`in` needs a list after it, this is a number",
    );
    assert_error(
        "allow_list == allow_list",
        1,
        1,
        "a list can only follow `in` or be given to `len`",
    );
    assert_error(
        "value in [1, \"a\"]",
        1,
        14,
        "the elements of a list have one type: this is a string, the first is a number",
    );
    assert_error(
        "len(data, name) > 1",
        1,
        1,
        "`len` takes 1 argument, 2 given",
    );
    assert_error("abs() > 1", 1, 1, "`abs` takes 1 argument, 0 given");
    assert_error(
        "len(value) > 1",
        1,
        5,
        "`len` takes bytes, a string or a list, this is a uint256",
    );
    assert_error(
        "abs(value) > 1",
        1,
        5,
        "`abs` takes an int (a uint is never negative), this is a uint256",
    );
    assert_error(
        "lower(data) == \"a\"",
        1,
        7,
        "`lower` takes a string, this is bytes",
    );
    assert_error(
        "upper(name) == \"A\"",
        1,
        1,
        "unknown function `upper`; the functions are `len`, `abs` and `lower`",
    );
}

#[test]
fn positions_are_lines_and_characters() {
    assert_error(
        "value > 1 and\n  caller == 7",
        2,
        10,
        "cannot compare address with a number",
    );
    assert_error(
        "paused\nand\n\n   valeu > 1",
        4,
        4,
        "unknown name `valeu`; did you mean `value`?",
    );
    // Columns count characters, not bytes.
    assert_error(
        "name == \"ééé\" and valeu > 1",
        1,
        19,
        "unknown name `valeu`; did you mean `value`?",
    );
}

/// Comparisons of random int256/uint256 values against the same comparison on i128.
#[test]
fn comparisons_agree_with_integer_arithmetic() {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    type Holds = fn(&i128, &i128) -> bool;
    let ops: [(&str, Holds); 6] = [
        ("==", |a, b| a == b),
        ("!=", |a, b| a != b),
        ("<", |a, b| a < b),
        ("<=", |a, b| a <= b),
        (">", |a, b| a > b),
        (">=", |a, b| a >= b),
    ];
    for _ in 0..500 {
        let d = i128::from(next() as i64 % 1000);
        let v = i128::from(next() % 1000);
        let (op, holds) = ops[(next() % 6) as usize];
        let changes = [("delta", int(d)), ("value", uint(v as u128))];
        assert_eq!(
            eval_with(&format!("delta {op} value"), &changes),
            holds(&d, &v),
            "{d} {op} {v}"
        );
        assert_eq!(
            eval_with(&format!("delta * 3 - 7 {op} {v}"), &changes),
            holds(&(d * 3 - 7), &v),
            "{d} * 3 - 7 {op} {v}"
        );
    }
}

/// The examples of `docs/monitoring-conditions.md` compile.
#[test]
fn documented_examples_compile() {
    let mut env = Env::new();
    for (name, ty) in [
        ("from", Type::Address),
        ("Transfer.value", Type::Uint(256)),
        ("caller", Type::Address),
        ("value", Type::Uint(256)),
        ("newOwner", Type::Address),
        ("data", Type::Bytes(None)),
        ("symbol", Type::String),
        ("delta", Type::Int(256)),
        ("paused", Type::Bool),
        ("owner", Type::Address),
    ] {
        env.field(name, ty);
    }
    env.list("treasury", Type::Address, vec![Value::Address(ALLOWED)]);
    env.list("allow_list", Type::Address, vec![]);
    for source in [
        "from not in treasury and Transfer.value > 1e24",
        "caller not in allow_list and value > 100 ether",
        "newOwner != 0x0000000000000000000000000000000000000000",
        "len(data) > 4 and lower(symbol) in [\"weth\", \"usdc\"]",
        "abs(delta) >= 5 * 1e17 or (paused and caller != owner)",
    ] {
        if let Err(e) = compile(source, &env) {
            panic!("`{source}`: {e}");
        }
    }
}

/// Random token soup never panics: it compiles or gives an error inside the text, and what
/// compiles evaluates (with good values, with no values and with values of wrong types).
#[test]
fn random_conditions_never_panic() {
    const PIECES: &[&str] = &[
        "value",
        "delta",
        "small",
        "amount",
        "caller",
        "to",
        "paused",
        "data",
        "name",
        "ids",
        "selector",
        "allow_list",
        "amounts",
        "names",
        "Transfer.value",
        "valeu",
        "len",
        "abs",
        "lower",
        "(",
        ")",
        "[",
        "]",
        ",",
        "and",
        "or",
        "not",
        "in",
        "&&",
        "||",
        "!",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "0",
        "1",
        "255",
        "-1",
        "1e24",
        "1.5",
        "1 ether",
        "2 gwei",
        "0xff",
        "0x00000000000000000000000000000000000000aa",
        "\"Alice\"",
        "hex\"dead\"",
        "true",
        "false",
        "1e78",
        "\"",
        "é",
        "#",
        "=",
        "\n",
        "0x",
        "1_0",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let good: Vec<Value> = fields().into_iter().map(|(_, _, v)| v).collect();
    let wrong: Vec<Value> = good.iter().map(|_| Value::Bool(true)).collect();
    let env = env();
    let mut compiled = 0;
    for _ in 0..20_000 {
        let len = 1 + next() % 12;
        let source: Vec<&str> = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let source = source.join(" ");
        match compile(&source, &env) {
            Ok(condition) => {
                compiled += 1;
                condition.eval(&good);
                condition.eval(&wrong);
                condition.eval(&[]);
            }
            Err(e) => {
                let lines: Vec<&str> = source.split('\n').collect();
                assert!(e.line >= 1 && e.line <= lines.len(), "{source:?}: {e}");
                let width = lines[e.line - 1].chars().count();
                assert!(e.column >= 1 && e.column <= width + 1, "{source:?}: {e}");
                assert!(!e.message.is_empty());
            }
        }
    }
    assert!(compiled > 0);
}

/// A small random generator of well-formed conditions over the test fields.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[(self.next() % options.len() as u64) as usize]
    }

    fn number(&mut self, depth: usize) -> String {
        let leaf = depth == 0 || self.next().is_multiple_of(3);
        if leaf {
            return self
                .pick(&[
                    "value",
                    "delta",
                    "small",
                    "amount",
                    "len(data)",
                    "len(name)",
                    "abs(delta)",
                    "abs(small)",
                    "0",
                    "1",
                    "-1",
                    "255",
                    "256",
                    "-128",
                    "1 ether",
                    "1e77",
                    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                    "57896044618658097711785492504343953926634992332820282019728792003956564819968",
                ])
                .to_string();
        }
        match self.next() % 3 {
            0 => format!("-({})", self.number(depth - 1)),
            1 => format!("({})", self.number(depth - 1)),
            _ => {
                let op = self.pick(&["+", "-", "*", "/", "%"]);
                format!("{} {op} {}", self.number(depth - 1), self.number(depth - 1))
            }
        }
    }

    fn condition(&mut self, depth: usize) -> String {
        let leaf = depth == 0 || self.next().is_multiple_of(4);
        if leaf {
            return match self.next() % 5 {
                0 => self
                    .pick(&[
                        "paused",
                        "caller in allow_list",
                        "lower(name) in names",
                        "true",
                    ])
                    .to_string(),
                1 => format!(
                    "{} in [{}, {}]",
                    self.number(1),
                    self.number(1),
                    self.number(1)
                ),
                2 => format!("{} not in amounts", self.number(1)),
                _ => {
                    let op = self.pick(&["==", "!=", "<", "<=", ">", ">="]);
                    format!("{} {op} {}", self.number(2), self.number(2))
                }
            };
        }
        match self.next() % 3 {
            0 => format!("not ({})", self.condition(depth - 1)),
            _ => {
                let op = self.pick(&["and", "or", "&&", "||"]);
                format!(
                    "({}) {op} ({})",
                    self.condition(depth - 1),
                    self.condition(depth - 1)
                )
            }
        }
    }
}

/// Generated conditions evaluate without panicking on extreme field values.
#[test]
fn generated_conditions_evaluate_on_extreme_values() {
    let mut generator = Generator(0x2545_f491_4f6c_dd1d);
    let env = env();
    let extremes = [
        vec![
            ("value", Value::Uint(U256::MAX)),
            ("delta", Value::Int(I256::MIN)),
            ("small", int(-128)),
            ("amount", uint(255)),
        ],
        vec![
            ("value", uint(0)),
            ("delta", Value::Int(I256::MAX)),
            ("small", int(127)),
            ("amount", uint(0)),
        ],
        vec![("delta", int(-1)), ("small", int(-1)), ("value", uint(1))],
    ];
    let mut compiled = 0;
    for _ in 0..3_000 {
        let source = generator.condition(4);
        let Ok(condition) = compile(&source, &env) else {
            continue;
        };
        compiled += 1;
        for changes in &extremes {
            let values: Vec<Value> = fields()
                .into_iter()
                .map(|(name, _, value)| {
                    changes
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or(value, |(_, v)| v.clone())
                })
                .collect();
            condition.eval(&values);
        }
    }
    assert!(compiled > 500, "only {compiled} compiled");
}

/// A monitor file's `when` is compiled with the rule's fields and the file's lists, and a
/// mistake is reported at the rule with its line and column.
#[test]
fn conditions_in_a_monitor_file() {
    let file = |when: &str| {
        format!(
            r#"
[lists]
allow_list = ["0x1111111111111111111111111111111111111111"]

[[monitors]]
name = "vault"
chain_id = 31337
rpc = ["http://127.0.0.1:8545"]

[[monitors.contracts]]
name = "Vault"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
signatures = ["event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)"]

[[monitors.rules]]
name = "owner-changed"
kind = "event"
contract = "Vault"
event = "OwnershipTransferred(address indexed previousOwner, address indexed newOwner)"
when = "{when}"
level = "critical"
"#
        )
    };
    let loaded = monitor::load(
        &file("newOwner not in allow_list and OwnershipTransferred.previousOwner != newOwner"),
        None,
    );
    assert!(loaded.is_ok(), "{loaded:?}");
    let error = monitor::load(&file("newOwnr not in allow_list"), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "monitors[vault].rules[owner-changed].when: 1:1: unknown name `newOwnr`; did you mean `newOwner`?"
    );
}
