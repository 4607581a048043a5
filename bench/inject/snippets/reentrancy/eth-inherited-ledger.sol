// @class reentrancy
// @shape balance mapping inherited from a base contract, debited after a low-level call with value
// @base Ledger__ID__
// @top
contract Ledger__ID__ {
    mapping(address => uint256) internal owed__ID__;

    function fund__ID__() public payable {
        owed__ID__[msg.sender] += msg.value;
    }
}
// @members
    function collect__ID__(uint256 amount) public {
        {{REQ(owed__ID__[msg.sender] >= amount)}}
        {{OK(done, {{CALLV(msg.sender, amount)}})}}; // @bug
        {{REQ(done)}}
        owed__ID__[msg.sender] = owed__ID__[msg.sender] - amount;
    }
