//! Test fixture: a few in-memory files, imports resolved by file name.

#![allow(dead_code, unreachable_pub)]

use semantics::{Declaration, Model, SourceInput, Type};
use syntax::FileId;
use syntax::ast::ExprId;

pub struct Fixture {
    pub names: Vec<&'static str>,
    pub texts: Vec<&'static str>,
    pub parses: Vec<syntax::Parse>,
    pub imports: Vec<Vec<Option<FileId>>>,
}

impl Fixture {
    /// Files as `(name, text)`; `import "./B.sol"` resolves to the file named `B.sol`.
    pub fn new(files: &[(&'static str, &'static str)]) -> Fixture {
        let names: Vec<_> = files.iter().map(|f| f.0).collect();
        let texts: Vec<_> = files.iter().map(|f| f.1).collect();
        let parses: Vec<_> = texts.iter().map(|t| syntax::parse(t)).collect();
        let imports = parses
            .iter()
            .map(|p| {
                p.imports()
                    .iter()
                    .map(|i| {
                        let base = i.path.rsplit('/').next().unwrap_or(&i.path);
                        names
                            .iter()
                            .position(|n| *n == base)
                            .map(|k| FileId(k as u32))
                    })
                    .collect()
            })
            .collect();
        Fixture {
            names,
            texts,
            parses,
            imports,
        }
    }

    pub fn one(text: &'static str) -> Fixture {
        Fixture::new(&[("A.sol", text)])
    }

    pub fn model(&self) -> Model<'_> {
        self.model_with(&semantics::BuildOptions::default())
    }

    /// The model built with `options`.
    #[allow(dead_code)]
    pub fn model_with(&self, options: &semantics::BuildOptions) -> Model<'_> {
        let inputs: Vec<_> = self
            .parses
            .iter()
            .enumerate()
            .map(|(i, p)| SourceInput {
                file: FileId(i as u32),
                parse: p,
                imports: &self.imports[i],
            })
            .collect();
        Model::build_with(&inputs, options)
    }

    /// The `nth` expression (in source order) of file `file` whose text is `text`.
    pub fn expr(&self, file: usize, text: &str, nth: usize) -> ExprId {
        let src = self.texts[file];
        let mut found: Vec<(u32, ExprId)> = self.parses[file]
            .ast()
            .exprs()
            .filter(|(_, e)| src.get(e.span.lo as usize..e.span.hi as usize) == Some(text))
            .map(|(id, e)| (e.span.lo, id))
            .collect();
        found.sort();
        found.dedup_by_key(|f| f.0);
        match found.get(nth) {
            Some(f) => f.1,
            None => panic!("no expression #{nth} `{text}` in {}", self.names[file]),
        }
    }

    pub fn decl(&self, m: &Model<'_>, text: &str, nth: usize) -> Declaration {
        self.decl_in(m, 0, text, nth)
    }

    pub fn decl_in(&self, m: &Model<'_>, file: usize, text: &str, nth: usize) -> Declaration {
        let e = self.expr(file, text, nth);
        m.declaration(FileId(file as u32), e)
            .unwrap_or_else(|| panic!("`{text}` has no declaration"))
    }

    pub fn ty(&self, m: &Model<'_>, text: &str, nth: usize) -> Type {
        let e = self.expr(0, text, nth);
        m.type_of(FileId(0), e).clone()
    }

    /// The name of the item a declaration refers to, for readable assertions.
    pub fn item_name(&self, r: semantics::ItemRef) -> String {
        let item = self.parses[r.file.0 as usize].ast().item(r.item);
        let own = item.name().map_or(String::new(), |n| n.name.to_string());
        match item.parent {
            Some(p) => {
                let parent = self.parses[r.file.0 as usize].ast().item(p);
                format!("{}.{own}", parent.name().map_or("", |n| n.as_str()))
            }
            None => own,
        }
    }

    /// `Kind Contract.name` for item declarations, `Kind name` for variables.
    pub fn describe(&self, m: &Model<'_>, d: Declaration) -> String {
        match d {
            Declaration::StateVar(r) => format!("StateVar {}", self.item_name(r)),
            Declaration::FileConstant(r) => format!("FileConstant {}", self.item_name(r)),
            Declaration::Function(r) => {
                let arity = m.function_of_item(r).map_or(0, |f| m.function(f).arity);
                format!("Function {}/{arity}", self.item_name(r))
            }
            Declaration::Modifier(r) => format!("Modifier {}", self.item_name(r)),
            Declaration::Event(r) => format!("Event {}", self.item_name(r)),
            Declaration::Error(r) => format!("Error {}", self.item_name(r)),
            Declaration::Struct(r) => format!("Struct {}", self.item_name(r)),
            Declaration::Enum(r) => format!("Enum {}", self.item_name(r)),
            Declaration::UserType(r) => format!("UserType {}", self.item_name(r)),
            Declaration::StructField(r, i) => format!("StructField {}#{i}", self.item_name(r)),
            Declaration::EnumValue(r, i) => format!("EnumValue {}#{i}", self.item_name(r)),
            Declaration::Local(v) => format!("Local {}", m.var(v).name),
            Declaration::Param(v) => format!("Param {}", m.var(v).name),
            Declaration::Return(v) => format!("Return {}", m.var(v).name),
            Declaration::Contract(c) => format!("Contract {}", m.contract(c).name),
            Declaration::Module(f) => format!("Module {}", self.names[f.0 as usize]),
            Declaration::Builtin(b) => format!("Builtin {b:?}"),
            Declaration::Unresolved => "Unresolved".into(),
        }
    }

    pub fn check(&self, m: &Model<'_>, text: &str, nth: usize, expect: &str) {
        let d = self.decl(m, text, nth);
        assert_eq!(
            self.describe(m, d),
            expect,
            "declaration of `{text}` #{nth}"
        );
    }

    pub fn contract(&self, m: &Model<'_>, name: &str) -> semantics::ContractId {
        m.contracts_named(name)
            .next()
            .unwrap_or_else(|| panic!("no contract {name}"))
    }

    pub fn function(&self, m: &Model<'_>, contract: &str, name: &str) -> semantics::FunctionId {
        let c = self.contract(m, contract);
        m.functions()
            .find(|(_, f)| f.contract == Some(c) && f.name == name)
            .map(|(id, _)| id)
            .unwrap_or_else(|| panic!("no function {contract}.{name}"))
    }
}
