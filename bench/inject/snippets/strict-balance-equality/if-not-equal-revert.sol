// @class strict-balance-equality
// @shape `if (balance != expected) revert/throw` where expected tracks the deposits
// @members
    uint256 internal expected__ID__;
    mapping(address => uint256) internal shares__ID__;

    function join__ID__() public payable {
        expected__ID__ += msg.value;
        shares__ID__[msg.sender] += msg.value;
    }

    function nextPhase__ID__() public {
        if ({{THISBAL}} != expected__ID__) { // @bug
            {{REVERT}}
        }
        expected__ID__ = 0;
    }
