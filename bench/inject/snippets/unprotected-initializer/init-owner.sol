// @class unprotected-initializer
// @shape `initWallet()` recording msg.sender as creator; `migrateTo` checks `creator == msg.sender` (direct)
// @members
    address internal creator__ID__;

    function initWallet__ID__() public { // @bug:w
        creator__ID__ = msg.sender; // @bug:w
    }

    function migrateTo__ID__({{ADDRP}} to) public {
        {{REQ(creator__ID__ == msg.sender)}}
        {{XFER(to, {{THISBAL}})}}
    }
