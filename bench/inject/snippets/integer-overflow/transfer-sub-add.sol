// @class integer-overflow
// @shape token transfer: `balance -= value` and `balance += value` without checks (direct)
// @when <0.8.0
// @members
    mapping(address => uint256) internal bal__ID__;

    function transferUnits__ID__(address to, uint256 value) public {
        bal__ID__[msg.sender] -= value; // @bug
        bal__ID__[to] += value; // @bug
    }
