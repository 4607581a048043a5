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
