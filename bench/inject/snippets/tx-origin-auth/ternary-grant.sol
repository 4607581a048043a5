// @class tx-origin-auth
// @shape conditional expression on `tx.origin == boss` deciding a grant
// @members
    address internal boss__ID__ = msg.sender;
    mapping(address => uint256) internal quota__ID__;

    function grantQuota__ID__(address who, uint256 amount) public {
        quota__ID__[who] = tx.origin == boss__ID__ ? amount : 0; // @bug
    }

    function spendQuota__ID__(uint256 amount) public {
        {{REQ(quota__ID__[msg.sender] >= amount)}}
        quota__ID__[msg.sender] -= amount;
        {{XFER({{SENDER}}, amount)}}
    }
