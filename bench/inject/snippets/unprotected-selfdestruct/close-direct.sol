// @class unprotected-selfdestruct
// @shape public `close()` with `selfdestruct(msg.sender)` and no check (direct)
// @members
    function close__ID__() public { // @bug:k
        selfdestruct({{SENDER}}); // @bug:k
    }
