// @class unchecked-low-level-call
// @shape unchecked call with value inside an internal helper called in a payout loop
// @members
    address[] internal payees__ID__;
    uint256 internal share__ID__;

    function _pay__ID__(address to, uint256 amount) internal {
        {{CALLV(to, amount)}}; // @bug
    }

    function join__ID__() public payable {
        {{REQ(msg.value == 0.1 ether)}}
        payees__ID__.push(msg.sender);
        share__ID__ = {{THISBAL}} / payees__ID__.length;
    }

    function distribute__ID__() public {
        for (uint256 i = 0; i < payees__ID__.length; i++) {
            _pay__ID__(payees__ID__[i], share__ID__);
        }
        delete payees__ID__;
    }
