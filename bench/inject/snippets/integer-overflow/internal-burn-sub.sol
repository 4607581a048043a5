// @class integer-overflow
// @shape subtraction in an internal function fed by a public function's parameter
// @when <0.8.0
// @members
    mapping(address => uint256) internal stakeOf__ID__;

    function _burn__ID__(address from, uint256 amount) internal {
        stakeOf__ID__[from] = stakeOf__ID__[from] - amount; // @bug
    }

    function burn__ID__(uint256 amount) public {
        _burn__ID__(msg.sender, amount);
    }
