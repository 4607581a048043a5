// @class unprotected-selfdestruct
// @shape `selfdestruct(to)` with the recipient a parameter
// @members
    function destroy__ID__({{ADDRP}} to) public { // @bug:k
        selfdestruct(to); // @bug:k
    }
