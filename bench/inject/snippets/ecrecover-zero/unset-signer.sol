// @class ecrecover-zero
// @shape `require(ecrecover(h, v, r, s) == signer)` with a signer that is zero until set (direct)
// @members
    address internal mintSigner__ID__;
    address internal mintAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal mintNonce__ID__;
    mapping(address => uint256) internal minted__ID__;

    function setMintSigner__ID__(address s) public {
        {{REQ(msg.sender == mintAdmin__ID__)}}
        mintSigner__ID__ = s;
    }

    function mintSigned__ID__(uint256 amount, uint8 v, bytes32 r, bytes32 s) public {
        bytes32 h = {{KEC(address(this), msg.sender, amount, mintNonce__ID__[msg.sender])}};
        {{REQ(ecrecover(h, v, r, s) == mintSigner__ID__)}} // @bug
        mintNonce__ID__[msg.sender] += 1;
        minted__ID__[msg.sender] += amount;
    }
