//! Error recovery: one bad line is one precise diagnostic, and the rest of the
//! file is still parsed.

/// Parses `src` and returns the errors as `line:col: message`, and the names
/// of the functions and variables that were parsed.
fn parse(src: &str) -> (Vec<String>, Vec<String>) {
    let parse = vyper::parse(src);
    let index = vyper::LineIndex::new(src);
    let errors = parse
        .errors()
        .map(|d| {
            let lc = index.line_col(src, d.span.lo);
            format!("{}:{}: {}", lc.line, lc.col, d.message)
        })
        .collect();
    let ast = parse.ast();
    let names = ast
        .functions()
        .map(|f| format!("{}/{}", f.name.as_str(), f.body.len()))
        .chain(ast.variables().map(|v| v.name.as_str().to_string()))
        .collect();
    (errors, names)
}

#[test]
fn bad_statement_keeps_the_rest_of_the_function() {
    let (errors, names) = parse(
        "@external\ndef f():\n    x: uint256 = 1\n    y = = 2\n    z: uint256 = 3\n\n@external\ndef g():\n    pass\n",
    );
    assert_eq!(errors, ["4:9: expected an expression, found `=`"]);
    assert_eq!(names, ["f/3", "g/1"]);
}

#[test]
fn bad_declaration_keeps_the_next_ones() {
    let (errors, names) =
        parse("a: uint256\n123 + 4\nb: address\nevent 5:\n    x: uint256\nc: bool\n");
    assert_eq!(
        errors,
        [
            "2:1: expected a declaration, found number `123`",
            "4:7: expected a name for the event, found number `5`"
        ]
    );
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn unclosed_parenthesis_stops_at_the_next_function() {
    let (errors, names) = parse(
        "@external\ndef f():\n    x: uint256 = foo(1,\n    y: uint256 = 2\n\n@external\ndef g():\n    pass\n",
    );
    assert_eq!(errors[0], "3:21: unclosed `(`");
    assert!(names.contains(&"g/1".to_string()), "{names:?}");
}

#[test]
fn missing_colons_and_blocks() {
    let (errors, names) = parse(
        "def f()\n    pass\ndef g():\n    if x\n        pass\n    for i in range(3)\n        pass\n    return 1\ndef h():\nx: uint256\n",
    );
    assert_eq!(
        errors,
        [
            "1:8: expected `:` after the function signature, found end of line",
            "4:9: expected `:` after the condition, found end of line",
            "6:22: expected `:` after the loop header, found end of line",
            "10:1: expected an indented block, found `x`",
        ]
    );
    assert_eq!(names, ["g/3", "h/0", "x"]);
}

#[test]
fn indentation_errors() {
    let (errors, names) =
        parse("def f():\n        x = 1\n    y = 2\n  z = 3\ndef g():\n    pass\n    \tpass\n");
    assert_eq!(
        errors[0],
        "3:1: unindent does not match any outer indentation level"
    );
    assert!(names.iter().any(|n| n.starts_with("g/")), "{names:?}");
    let (errors, _) = parse("x: uint256\n    y: uint256\nz: uint256\n");
    assert_eq!(errors, ["2:1: unexpected indentation"]);
}

#[test]
fn stray_tokens_and_keywords() {
    let (errors, names) =
        parse("def f():\n    else:\n        pass\n    x = 1)\n    y = $\n    return\n");
    assert_eq!(
        errors,
        [
            "2:5: `else` without a matching `if`",
            "4:10: expected end of line, found `)`",
            "5:9: unexpected character `$`",
        ]
    );
    assert_eq!(names, ["f/4"]);
}

#[test]
fn strings_and_numbers() {
    let (errors, names) =
        parse("A: constant(String[3]) = \"abc\nB: constant(uint256) = 0xZZ\nC: uint256\n");
    assert_eq!(
        errors,
        [
            "1:26: unterminated string",
            "2:24: malformed number literal `0xZZ`"
        ]
    );
    assert_eq!(names, ["A", "B", "C"]);
    let (errors, _) = parse("def f():\n    \"\"\"never closed\n    pass\n");
    assert_eq!(errors[0], "2:5: unterminated triple-quoted string");
}

#[test]
fn interface_and_event_bodies_recover_per_line() {
    let (errors, _) = parse(
        "interface I:\n    def f() -> uint256: view\n    x = 1\n    def g(): nonpayable\nevent E:\n    a: uint256\n    7\n    b: address\n",
    );
    assert_eq!(
        errors,
        [
            "3:5: expected `def` in an interface body, found `x`",
            "7:5: expected a field name, found number `7`",
        ]
    );
    let parse = vyper::parse(
        "interface I:\n    def f() -> uint256: view\n    x = 1\n    def g(): nonpayable\nevent E:\n    a: uint256\n    7\n    b: address\n",
    );
    let dump = vyper::dump::dump(parse.ast(), "");
    assert!(dump.contains("def g(): nonpayable"), "{dump}");
    assert!(dump.contains("  b: address"), "{dump}");
}

#[test]
fn empty_and_whitespace_only_files() {
    for src in [
        "",
        "\n",
        "   \n\t\n",
        "# only a comment",
        "\"\"\"doc\"\"\"",
        "\u{feff}x: uint256",
    ] {
        let (errors, _) = parse(src);
        assert!(errors.is_empty(), "{src:?}: {errors:?}");
    }
}
