//! The syntax tree of any file of the model, for callers that hold an id from another
//! file (a modifier, base contract or state variable declared elsewhere), and the
//! declared types of state variables and struct fields.

use syntax::FileId;
use syntax::ast::Ast;

use crate::Model;

impl<'a> Model<'a> {
    /// The syntax tree of `file`; `None` for files not in the model.
    pub fn file_ast(&self, file: FileId) -> Option<&'a Ast> {
        self.tables.file(file).map(|f| f.parse.ast())
    }

    /// The declared type of a state variable or file-level constant.
    pub fn state_var_type(&self, r: crate::ItemRef) -> crate::Type {
        let Some(f) = self.tables.file(r.file) else {
            return crate::Type::Unknown;
        };
        match f.parse.ast().item(r.item).as_variable() {
            Some(v) => {
                self.tables
                    .type_of_typename(r.file, self.tables.enclosing_contract(r), v.ty)
            }
            None => crate::Type::Unknown,
        }
    }

    /// The field types of a struct, in declaration order (empty for other items).
    pub fn struct_field_types(&self, s: crate::ItemRef) -> Vec<crate::Type> {
        let Some(f) = self.tables.file(s.file) else {
            return Vec::new();
        };
        match &f.parse.ast().item(s.item).kind {
            syntax::ast::ItemKind::Struct(def) => def
                .fields
                .iter()
                .map(|fd| {
                    self.tables
                        .type_of_typename(s.file, self.tables.enclosing_contract(s), fd.ty)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// How deep [`Model::abi_type`] follows struct fields and array elements.
const ABI_TYPE_DEPTH: u32 = 16;

impl Model<'_> {
    /// The canonical ABI type of the type name `ty` written in item `scope` (a function,
    /// event, error or struct, which decides how names resolve), as signatures and
    /// selectors spell it: `uint` is `uint256`, `address payable` is `address`, contracts
    /// and interfaces are `address`, enums `uint8`, user-defined value types their
    /// underlying type, structs tuples (`(address,uint256)`), and fixed-size arrays keep
    /// their length (`uint256[3]`). `None` for types without an ABI encoding (mappings,
    /// internal function types) and for names or lengths the source does not determine.
    pub fn abi_type(&self, scope: crate::ItemRef, ty: syntax::ast::TypeId) -> Option<String> {
        self.abi_type_in(scope, ty, ABI_TYPE_DEPTH)
    }

    fn abi_type_in(
        &self,
        scope: crate::ItemRef,
        ty: syntax::ast::TypeId,
        depth: u32,
    ) -> Option<String> {
        use syntax::ast::{ElementaryType, ExprKind, ItemKind, TypeKind, Visibility};
        let depth = depth.checked_sub(1)?;
        let ast = self.tables.file(scope.file)?.parse.ast();
        match &ast.ty(ty).kind {
            TypeKind::Elementary(ElementaryType::Address { .. }) => Some("address".into()),
            TypeKind::Elementary(e) => Some(e.canonical()),
            TypeKind::UserDefined(path) => {
                let contract = self.tables.enclosing_contract(scope).or_else(|| {
                    // A contract's own items: the scope may be the contract itself.
                    self.contract_of_item(scope)
                });
                match self.tables.resolve_path(scope.file, contract, path)? {
                    crate::Declaration::Contract(_) => Some("address".into()),
                    crate::Declaration::Enum(_) => Some("uint8".into()),
                    crate::Declaration::UserType(u) => {
                        let file = self.tables.file(u.file)?.parse.ast();
                        match &file.item(u.item).kind {
                            ItemKind::UserDefinedValueType(def) => {
                                self.abi_type_in(u, def.underlying, depth)
                            }
                            _ => None,
                        }
                    }
                    crate::Declaration::Struct(s) => {
                        let file = self.tables.file(s.file)?.parse.ast();
                        let ItemKind::Struct(def) = &file.item(s.item).kind else {
                            return None;
                        };
                        let fields: Option<Vec<String>> = def
                            .fields
                            .iter()
                            .map(|field| self.abi_type_in(s, field.ty, depth))
                            .collect();
                        Some(format!("({})", fields?.join(",")))
                    }
                    _ => None,
                }
            }
            TypeKind::Array { element, size } => {
                let element = self.abi_type_in(scope, *element, depth)?;
                match size {
                    None => Some(format!("{element}[]")),
                    Some(size) => match &ast.expr(*size).kind {
                        ExprKind::Literal(literal) => {
                            Some(format!("{element}[{}]", literal.number_value()?))
                        }
                        _ => None,
                    },
                }
            }
            TypeKind::Function {
                visibility: Some(Visibility::External),
                ..
            } => Some("function".into()),
            TypeKind::Function { .. }
            | TypeKind::Mapping { .. }
            | TypeKind::Var
            | TypeKind::Error => None,
        }
    }
}
