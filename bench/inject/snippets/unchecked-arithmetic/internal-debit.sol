// @class unchecked-arithmetic
// @shape `unchecked` subtraction in an internal function fed by a public function's parameter
// @when >=0.8.0
// @members
    mapping(address => uint256) internal escrowed__ID__;

    function _debit__ID__(address who, uint256 amount) internal {
        unchecked {
            escrowed__ID__[who] -= amount; // @bug
        }
    }

    function escrow__ID__() public payable {
        escrowed__ID__[msg.sender] += msg.value;
    }

    function release__ID__(uint256 amount) public {
        _debit__ID__(msg.sender, amount);
        payable(msg.sender).transfer(amount);
    }
