//! The syntax tree of any file of the model, for callers that hold an id from another
//! file (a modifier, base contract or state variable declared elsewhere).

use syntax::FileId;
use syntax::ast::Ast;

use crate::Model;

impl<'a> Model<'a> {
    /// The syntax tree of `file`; `None` for files not in the model.
    pub fn file_ast(&self, file: FileId) -> Option<&'a Ast> {
        self.tables.file(file).map(|f| f.parse.ast())
    }
}
