// @class unchecked-arithmetic
// @shape `balances[msg.sender] -= amount` inside `unchecked` (direct)
// @when >=0.8.0
// @members
    mapping(address => uint256) internal credits__ID__;

    function mintCredits__ID__() external payable {
        credits__ID__[msg.sender] += msg.value;
    }

    function burnCredits__ID__(uint256 amount) external {
        unchecked {
            credits__ID__[msg.sender] -= amount; // @bug
        }
    }
