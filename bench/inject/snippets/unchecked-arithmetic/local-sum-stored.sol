// @class unchecked-arithmetic
// @shape sum computed into a local inside `unchecked`, then stored as the new total
// @when >=0.8.0
// @members
    uint256 internal totalDeposited__ID__;
    mapping(address => uint256) internal deposited__ID__;

    function record__ID__(uint256 amount) public {
        unchecked {
            uint256 next = totalDeposited__ID__ + amount; // @bug
            totalDeposited__ID__ = next;
        }
        deposited__ID__[msg.sender] += amount;
    }
