// @class reentrancy
// @shape ether sent with a low-level call to msg.sender, then the balance is zeroed (direct; call.value / call{value:})
// @members
    mapping(address => uint256) internal credit__ID__;

    function deposit__ID__() public payable {
        credit__ID__[msg.sender] += msg.value;
    }

    function withdraw__ID__() public {
        uint256 amount = credit__ID__[msg.sender];
        {{REQ(amount > 0)}}
        {{OK(ok, {{CALLV(msg.sender, amount)}})}}; // @bug
        {{REQ(ok)}}
        credit__ID__[msg.sender] = 0;
    }
