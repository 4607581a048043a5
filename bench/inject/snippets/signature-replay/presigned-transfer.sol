// @class signature-replay
// @shape pre-signed token transfer: the signer recovered into a local is debited, no nonce
// @members
    mapping(address => uint256) internal signedBal__ID__;

    function fundSigned__ID__() public payable {
        signedBal__ID__[msg.sender] += msg.value;
    }

    function transferSigned__ID__(address to, uint256 value, uint8 v, bytes32 r, bytes32 s) public {
        bytes32 digest = {{KEC(address(this), to, value)}};
        address from = ecrecover(digest, v, r, s); // @bug
        {{REQ(from != address(0) && signedBal__ID__[from] >= value)}}
        signedBal__ID__[from] -= value;
        signedBal__ID__[to] += value;
    }
